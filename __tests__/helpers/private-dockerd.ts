import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { findBinary, startProcess, waitUntil, type ManagedProcess } from '../harness';

const exec = promisify(execFile);

/** The Docker CLI from Debian's docker.io package (a /usr/local/bin/docker may be another build). */
export const DOCKER_CLI = '/usr/bin/docker';

/** A dockerd of the test's own: its sockets, state and config all under one temp directory. */
export interface PrivateDockerd {
  dir: string;
  host: string;
  process: ManagedProcess;
  /** Runs `docker -H <host> …args`; never throws, so a failed pull can be asserted. */
  docker(args: string[], timeoutMs?: number): Promise<{ code: number | string; stdout: string; stderr: string }>;
  log(): string;
  /** Stops dockerd (and the containerd it started), unmounts what it left under `dir`, removes `dir`. */
  stop(): Promise<void>;
}

/**
 * Starts a dockerd that touches nothing of the machine's own Docker: no
 * iptables, no bridge, vfs storage, data, exec root, socket and pidfile in
 * `dir`, and its own `--config-file` (`config`, to which `deprecated-key-path`
 * is added: dockerd 20.10 otherwise writes /etc/docker/key.json).
 */
export async function startPrivateDockerd(dir: string, config: Record<string, unknown>): Promise<PrivateDockerd> {
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'daemon.json');
  fs.writeFileSync(configFile, JSON.stringify({ ...config, 'deprecated-key-path': path.join(dir, 'key.json') }, null, 2));
  const socket = path.join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const logPath = path.join(dir, 'dockerd.log');
  const child = startProcess({
    name: 'dockerd',
    command: findBinary('dockerd'),
    logPath,
    args: [
      '--iptables=false', '--ip6tables=false', '--bridge=none', '--storage-driver=vfs',
      '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'),
      '-H', host, '--pidfile', path.join(dir, 'dockerd.pid'), '--config-file', configFile,
    ],
  });
  const docker = async (args: string[], timeoutMs = 120_000) => {
    try {
      const { stdout, stderr } = await exec(DOCKER_CLI, ['-H', host, ...args], { timeout: timeoutMs, env: { PATH: process.env.PATH, HOME: dir } });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number | string; killed?: boolean; signal?: string; stdout?: string; stderr?: string };
      return { code: e.killed ? `killed (${e.signal ?? 'timeout'})` : (e.code ?? 'error'), stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
  const stop = async () => {
    await child.stop(30_000);
    unmountUnder(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil('dockerd answering on its socket', async () => (await docker(['version', '--format', '{{.Server.Version}}'], 10_000)).code === 0, 120_000, () => {
      const status = child.exitStatus();
      return status === undefined ? undefined : `dockerd exited (${status}): ${fs.readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n')}`;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, host, process: child, docker, log: () => fs.readFileSync(logPath, 'utf8'), stop };
}

/** Unmounts every mount point under `dir`, deepest first (dockerd may leave some behind when killed). */
function unmountUnder(dir: string): void {
  const points = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) {
    try {
      execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

