import fs from 'node:fs/promises';
import path from 'node:path';
import { readIfExists, writeFileAtomic } from './atomic-write';
import { HOSTS_TOML_MARKER } from './hosts-toml';

/** containerd's hosts directory once `config_path` points at it (containerd docs/hosts.md). */
export const DEFAULT_HOSTS_DIR = '/etc/containerd/certs.d';

/** Where the mirror keeps its own copy of the files it installs: `<home>/.work/etc/containerd/certs.d`. */
export function workHostsDir(home: string): string {
  return path.join(home, '.work', 'etc', 'containerd', 'certs.d');
}

/**
 * The directory containerd looks in for a registry: the host exactly as it
 * appears in the image reference, port included (`127.0.0.1:5000`), which is
 * the form containerd documents. (containerd also tries `host_port_`, a
 * spelling for filesystems without `:`.) `_default` is the entry for every
 * registry without a directory of its own.
 */
export function hostsDirectoryName(registry: string): string {
  if (registry === '_default') return registry;
  if (registry === '' || /[/\\]/.test(registry) || registry === '.' || registry === '..') {
    throw new Error(`"${registry}" cannot name a hosts directory`);
  }
  return registry.toLowerCase();
}

/** What {@link installHostsToml} did. */
export interface InstallResult {
  file: string;
  /** `written`, or `unchanged` when the file already had this content. */
  outcome: 'written' | 'unchanged';
  /** Where a file the mirror did not write was moved before being replaced. */
  backup?: string;
}

/**
 * Installs `content` as `<hostsDir>/<registry>/hosts.toml`. A file there that
 * lifec-mirror did not write (no marker line) is first copied to
 * `hosts.toml.lifec-backup-<time>` with the same mode, so a hand-written configuration is never
 * lost; both writes are atomic.
 *
 * @param now milliseconds since the epoch, for the backup name
 */
export async function installHostsToml(hostsDir: string, registry: string, content: string, now: number): Promise<InstallResult> {
  const file = path.join(hostsDir, hostsDirectoryName(registry), 'hosts.toml');
  const existing = await readIfExists(file);
  if (existing === content) return { file, outcome: 'unchanged' };
  let backup: string | undefined;
  if (existing !== undefined && !existing.startsWith(HOSTS_TOML_MARKER)) {
    backup = `${file}.lifec-backup-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    // The hand-written file may hold `header.authorization`: the copy keeps its permissions.
    const { mode } = await fs.stat(file);
    await writeFileAtomic(backup, existing, mode & 0o777);
  }
  await writeFileAtomic(file, content);
  return { file, outcome: 'written', backup };
}
