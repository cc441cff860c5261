import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findBinary, isRoot } from './binaries';
import { logTail, startProcess, waitUntil } from './process';
import { makeTempDir, removeTempDir } from './tempdir';

/** Outcome of one ctr invocation (never thrown: tests assert on it). */
export interface CtrResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@link Containerd.pullWithCtr}. */
export interface PullOptions {
  /** e.g. `linux/arm64/v8`; default: the host platform. */
  platform?: string;
  /** `user:password` for the registry. */
  user?: string;
  /** Default `test`. A new namespace re-downloads everything (isolated content). */
  namespace?: string;
}

/** A private containerd; see {@link startContainerd}. */
export interface Containerd {
  readonly socket: string;
  readonly dir: string;
  readonly logPath: string;
  /** Runs `ctr -a <socket> -n <namespace> ...args` (namespace default `test`). */
  ctr(args: string[], namespace?: string): Promise<CtrResult>;
  /** `ctr image pull --snapshotter native [--hosts-dir DIR] REF` (no hostsDir: containerd's defaults). */
  pullWithCtr(ref: string, hostsDir?: string, opts?: PullOptions): Promise<CtrResult>;
  /** The digest `ctr images ls` lists for `ref`, or undefined if absent. */
  imageDigest(ref: string, namespace?: string): Promise<string | undefined>;
  /** Stops containerd; removes the dir if the harness made it. */
  stop(): Promise<void>;
}

/** unix socket paths are limited to 108 bytes (sun_path), including the terminating NUL. */
const MAX_SOCKET_PATH = 100;

/** containerd config version 2 (docs/man/containerd-config.toml.5.md) for an isolated test instance. */
function renderConfig(dir: string, socket: string): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
# No CRI (it wants CNI and cgroups) and no kernel-specific snapshotters: tests use native.
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs",
]

[grpc]
  address = "${socket}"

[ttrpc]
  address = "${socket}.ttrpc"

[debug]
  address = "${dir}/debug.sock"
  level = "debug"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"

# Isolated: a blob fetched in one namespace is invisible in another, so each new
# namespace is a cold pull.
[plugins."io.containerd.metadata.v1.bolt"]
  content_sharing_policy = "isolated"
`;
}

function run(command: string, args: string[]): Promise<CtrResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 300_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr: stderr + (err && typeof err.code !== 'number' ? `\n${err.message}` : '') });
    });
  });
}

/**
 * Starts containerd as root with its own root, state and socket under `dir`
 * (a new temp dir by default). It never uses /run/containerd or
 * /var/lib/containerd, so the machine's own containerd is untouched.
 */
export async function startContainerd(dir?: string): Promise<Containerd> {
  if (!isRoot()) throw new Error('containerd tests need root (the native snapshotter chowns files): run them with sudo');
  const containerdBin = findBinary('containerd');
  const ctrBin = findBinary('ctr');
  const ownDir = dir === undefined;
  const base = dir ?? makeTempDir('ctrd');
  const socket = path.join(base, 'containerd.sock');
  if (socket.length > MAX_SOCKET_PATH) throw new Error(`socket path too long for a unix socket: ${socket}`);
  for (const sub of ['root', 'state', 'opt']) fs.mkdirSync(path.join(base, sub), { recursive: true });
  const configPath = path.join(base, 'config.toml');
  fs.writeFileSync(configPath, renderConfig(base, socket));
  const logPath = path.join(base, 'containerd.log');
  const child = startProcess({ name: 'containerd', command: containerdBin, args: ['--config', configPath], logPath });

  const ctr = (args: string[], namespace = 'test'): Promise<CtrResult> => run(ctrBin, ['-a', socket, '-n', namespace, ...args]);
  try {
    await child.waitForFile(socket, 60_000);
    // The socket appears before every plugin is loaded; a served `version` call means ready.
    await waitUntil('containerd answering on its socket', async () => (await ctr(['version'])).code === 0, 60_000,
      () => {
        const status = child.exitStatus();
        return status === undefined ? undefined : `containerd exited (${status})\n${logTail(logPath)}`;
      });
  } catch (err) {
    await child.stop();
    throw err;
  }

  return {
    socket,
    dir: base,
    logPath,
    ctr,
    pullWithCtr(ref, hostsDir, opts = {}) {
      const args = ['image', 'pull', '--snapshotter', 'native'];
      if (hostsDir !== undefined) args.push('--hosts-dir', hostsDir);
      if (opts.platform !== undefined) args.push('--platform', opts.platform);
      if (opts.user !== undefined) args.push('--user', opts.user);
      return ctr([...args, ref], opts.namespace);
    },
    async imageDigest(ref, namespace) {
      const { stdout } = await ctr(['images', 'ls'], namespace);
      // Columns: REF TYPE DIGEST SIZE PLATFORMS LABELS
      const row = stdout.split('\n').map((line) => line.split(/\s+/)).find((cols) => cols[0] === ref);
      return row?.[2];
    },
    async stop() {
      await child.stop(20_000);
      if (ownDir) removeTempDir(base);
    },
  };
}

/** A mirror entry of hosts.toml. */
export interface HostsMirror {
  url: string;
  /** Default ["pull", "resolve"]. */
  capabilities?: string[];
}

/**
 * Writes `<hostsDir>/<registryHost>/hosts.toml` (containerd docs/hosts.md) with
 * `server = http://<registryHost>` and the given mirrors. With no mirror it adds
 * an empty `[host]` table: containerd 1.6 ignores a file without any.
 */
export function writeHostsToml(hostsDir: string, registryHost: string, mirrors: HostsMirror[] = []): string {
  const lines = [`server = "http://${registryHost}"`, ''];
  if (mirrors.length === 0) lines.push('[host]');
  for (const m of mirrors) {
    lines.push(`[host."${m.url}"]`, `  capabilities = ${JSON.stringify(m.capabilities ?? ['pull', 'resolve'])}`, '');
  }
  const file = path.join(hostsDir, registryHost, 'hosts.toml');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
