import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from '../harness';

const exec = promisify(execFile);

/** podman with every piece of state in one temp directory. */
export interface PrivatePodman {
  dir: string;
  /** Runs `podman <isolation flags> …args`; never throws, so a failed pull can be asserted. */
  podman(args: string[], timeoutMs?: number): Promise<{ code: number | string; stdout: string; stderr: string }>;
}

/**
 * A podman that reads `registriesConf` as its registries.conf and keeps its
 * storage (vfs), run root, temp files and home under `dir`, so it touches
 * neither /etc/containers nor /var/lib/containers. The system's
 * registries.conf.d drop-ins are still read (podman reads them whenever
 * CONTAINERS_REGISTRIES_CONF is set); fully qualified references to
 * loopback registries make them irrelevant.
 *
 * Rootful podman 4.3 writes its blob-info cache to
 * /var/lib/containers/cache whatever `--root` says (containers/image
 * `blobinfocache.DefaultCache`), so it runs in a mount namespace of its own
 * where an empty directory of `dir` stands for /var/lib.
 */
export function privatePodman(dir: string, registriesConf: string): PrivatePodman {
  fs.mkdirSync(dir, { recursive: true });
  const policy = path.join(dir, 'policy.json');
  fs.writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const varLib = path.join(dir, 'var-lib');
  fs.mkdirSync(varLib);
  const isolate = ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$0" /var/lib && exec "$@"', varLib, findBinary('podman')];
  const flags = [
    '--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run'), '--storage-driver', 'vfs',
    '--tmpdir', path.join(dir, 'tmp'), '--events-backend', 'none', '--cgroup-manager', 'cgroupfs',
  ];
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, TMPDIR: dir, CONTAINERS_REGISTRIES_CONF: registriesConf, CONTAINERS_POLICY_JSON: policy };
  return {
    dir,
    async podman(args, timeoutMs = 180_000) {
      // `pull` takes the signature policy as a (hidden) flag; other commands do not need it.
      const extra = args[0] === 'pull' ? ['--signature-policy', policy] : [];
      try {
        const { stdout, stderr } = await exec(findBinary('unshare'), [...isolate, ...flags, args[0] ?? '', ...extra, ...args.slice(1)], { env, timeout: timeoutMs });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code?: number | string; killed?: boolean; stdout?: string; stderr?: string };
        return { code: e.killed ? 'killed (timeout)' : (e.code ?? 'error'), stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    },
  };
}
