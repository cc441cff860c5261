import fs from 'node:fs';
import path from 'node:path';
import { freePort, startProcess, type ManagedProcess } from '../harness';

const BIN = path.join(__dirname, '../../bin/lifec-mirror.js');

/** A mirror started the way a user starts it: `lifec-mirror start --config <file>`. */
export interface MirrorProcess {
  url: string;
  port: number;
  process: ManagedProcess;
  /** Peak resident memory (VmHWM) so far, in bytes. */
  peakRss(): number;
  /** Current resident memory (VmRSS), in bytes. */
  rss(): number;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Writes `runmd` (with `MIRROR_PORT` replaced by a free port) to `dir` and
 * runs the built CLI on it; resolves once the mirror accepts connections.
 * containerd host files go to `dir/certs.d`, never to the machine's own.
 * `wrapper` (a command and its arguments, e.g. `unshare …`) runs the CLI,
 * which must keep the wrapper's process id (exec) for `rss` to read it.
 */
export async function startMirrorProcess(dir: string, runmd: string, args: string[] = [], wrapper: string[] = []): Promise<MirrorProcess> {
  const port = await freePort();
  const configPath = path.join(dir, 'mirror.runmd');
  fs.writeFileSync(configPath, runmd.replaceAll('MIRROR_PORT', String(port)));
  const logPath = path.join(dir, 'mirror.log');
  const cli = [process.execPath, BIN, ...args, 'start', '--config', configPath, '--hosts-dir', path.join(dir, 'certs.d')];
  const [command, ...rest] = [...wrapper, ...cli];
  const child = startProcess({ name: 'lifec-mirror', command: command!, args: rest, logPath, cwd: dir });
  await child.waitForPort(port, 30_000);
  const status = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return Number(match?.[1] ?? 0) * 1024;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    peakRss: () => status('VmHWM'),
    rss: () => status('VmRSS'),
    log: () => fs.readFileSync(logPath, 'utf8'),
    stop: () => child.stop(),
  };
}

/** The access log lines ("request") a mirror process has written so far, parsed. */
export function accessLines(mirror: MirrorProcess): Array<Record<string, unknown>> {
  return mirror
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'request');
}
