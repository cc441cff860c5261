import fs from 'node:fs/promises';
import { readIfExists, writeFileAtomic } from '../containerd/atomic-write';

/**
 * An existing client configuration file that cannot be read safely (not
 * JSON, not TOML, YAML this tool does not read, a key of the wrong type).
 * Such a file is never replaced: merging into it could lose what it says.
 */
export class MalformedConfigError extends Error {
  override name = 'MalformedConfigError';
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file} ${reason}: fix it or move it aside (nothing was written)`, options);
  }
}

/** What {@link replaceConfigFile} did. */
export interface ReplaceResult {
  file: string;
  outcome: 'written' | 'unchanged';
  /** The copy of the previous content, when one was made. */
  backup?: string;
}

/**
 * Writes `content` to `file` atomically. When the file exists with other
 * content and `backup(previous)` says so, the previous content is first
 * copied to `<file>.lifec-backup-<time>`; both keep the file's mode, since a
 * client configuration may hold credentials. A symlink is followed: the file
 * it points to is replaced (and backed up next to it), the link stays.
 *
 * @param now milliseconds since the epoch, for the backup name
 */
export async function replaceConfigFile(
  file: string,
  content: string,
  now: number,
  backup: (previous: string) => boolean = () => true,
): Promise<ReplaceResult> {
  const previous = await readIfExists(file);
  if (previous === content) return { file, outcome: 'unchanged' };
  // A file linked from elsewhere (configuration management) is replaced where it lives:
  // renaming over the link itself would cut it off from its source.
  const target = previous === undefined ? file : await fs.realpath(file);
  const mode = previous === undefined ? 0o644 : (await fs.stat(target)).mode & 0o777;
  let copy: string | undefined;
  if (previous !== undefined && backup(previous)) {
    copy = `${target}.lifec-backup-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    await writeFileAtomic(copy, previous, mode);
  }
  await writeFileAtomic(target, content, mode);
  return { file, outcome: 'written', backup: copy };
}

/** First line of every file lifec-mirror writes in full: finding it, lifec-mirror may replace the file without a backup. */
export const CLIENT_FILE_MARKER = '# Written by lifec-mirror';
