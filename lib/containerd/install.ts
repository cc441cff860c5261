import { existsSync } from 'node:fs';
import type { MirrorSpec } from '../runmd/config';
import { hostsConfigFromMirror } from './host-config';
import { DEFAULT_HOSTS_DIR, installHostsToml, workHostsDir, type InstallResult } from './hosts-dir';
import { renderHostsToml } from './hosts-toml';

export interface InstallOptions {
  home: string;
  /** Overrides `.hosts_dir` and the default (`--hosts-dir`). */
  hostsDir?: string;
  /** The runmd file, named in the header comment. */
  source?: string;
  now: number;
  /** Write only the mirror's own copy (`: skip_hosts_dir_check .true`, `hosts --dry-run`). */
  workOnly?: boolean;
}

/** Both copies of one registry's hosts.toml: the mirror's own and containerd's. */
export interface InstalledHosts {
  registry: string;
  content: string;
  work: InstallResult;
  /** containerd's copy; absent when it was not installed, with the reason in `skipped`. */
  installed?: InstallResult;
  skipped?: string;
}

/** Where containerd's hosts directory is for this mirror: `--hosts-dir`, then `.hosts_dir`, then the default. */
export function resolveHostsDir(mirror: MirrorSpec, override?: string): string {
  return override ?? hostsConfigFromMirror(mirror).hostsDir ?? DEFAULT_HOSTS_DIR;
}

/**
 * Renders the hosts.toml of a `.mirror`, keeps a copy under
 * `<home>/.work/etc/containerd/certs.d` and installs it into containerd's
 * hosts directory. Returns undefined when the `.mirror` has no `.host` line
 * (containerd is not pointed at the mirror for that registry).
 *
 * @throws Error naming the file and the cause when a directory is not writable
 */
export async function installMirrorHosts(mirror: MirrorSpec, options: InstallOptions): Promise<InstalledHosts | undefined> {
  const config = hostsConfigFromMirror(mirror);
  if (config.hosts.length === 0) return undefined;
  const content = renderHostsToml(config, options.source);
  const work = await writeOrExplain(workHostsDir(options.home), config.registry, content, options.now);
  const chosen = options.hostsDir ?? config.hostsDir;
  if (options.workOnly) return { registry: config.registry, content, work, skipped: 'installing into the hosts directory is turned off' };
  // The default directory only matters once containerd's config_path names it;
  // without it containerd would not read the file, so it is not created.
  if (chosen === undefined && !existsSync(DEFAULT_HOSTS_DIR)) {
    return { registry: config.registry, content, work, skipped: `${DEFAULT_HOSTS_DIR} does not exist (set containerd's config_path: "lifec-mirror init --containerd-config"), or pass --hosts-dir` };
  }
  const installed = await writeOrExplain(chosen ?? DEFAULT_HOSTS_DIR, config.registry, content, options.now);
  return { registry: config.registry, content, work, installed };
}

/** A hosts directory that cannot take the file; `code` is the filesystem's (EACCES, ENOTDIR, …). */
export class HostsDirError extends Error {
  override name = 'HostsDirError';
  constructor(message: string, readonly code: string | undefined, options: { cause: unknown }) {
    super(message, options);
  }
}

async function writeOrExplain(dir: string, registry: string, content: string, now: number): Promise<InstallResult> {
  try {
    return await installHostsToml(dir, registry, content, now);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? ' (run as root, or choose another directory with --hosts-dir)' : '';
    throw new HostsDirError(`cannot write hosts.toml for ${registry} into ${dir}: ${code ?? (err as Error).message}${hint}`, code, { cause: err });
  }
}
