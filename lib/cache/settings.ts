import path from 'node:path';
import type { Line } from '../runmd/ast';
import { parseDuration } from '../runmd/duration';
import { RunmdError } from '../runmd/errors';
import { parseSize } from '../runmd/size';

/** The cache as `.cache` and `.tag_ttl` configure it. */
export interface CacheSettings {
  /** `undefined` when `: .cache off`. */
  dir?: string;
  maxBytes: number;
  tagTtlMs: number;
  /** What a cached digest is answered under: repositories confirmed to hold it, or any repository of the registry. */
  scope: 'repository' | 'registry';
}

/** Where the cache lives without a `.cache` line, relative to the mirror's home. */
export const DEFAULT_CACHE_DIR = 'cache';
export const DEFAULT_CACHE_BYTES = 10 * 1024 ** 3;
export const DEFAULT_TAG_TTL_MS = 30_000;

export { parseSize };

/**
 * Reads `: .cache <dir> [<max size>]` / `: .cache off`, `: .tag_ttl <duration>`
 * and `: .cache_scope repository|registry`
 * from the `.proxy` settings. The cache is on by default under `<home>/cache`
 * (`onByDefault` false: off unless a `.cache` line turns it on).
 */
export function cacheSettings(settings: readonly Line[], home: string, onByDefault = true): CacheSettings {
  const result: CacheSettings = { dir: onByDefault ? path.join(home, DEFAULT_CACHE_DIR) : undefined, maxBytes: DEFAULT_CACHE_BYTES, tagTtlMs: DEFAULT_TAG_TTL_MS, scope: 'repository' };
  for (const line of settings) {
    if (line.name === 'tag_ttl') result.tagTtlMs = parseDuration(line.input, line.inputPos);
    if (line.name === 'cache_scope') {
      const scope = line.input.trim();
      if (scope !== 'repository' && scope !== 'registry') throw new RunmdError(line.inputPos, '.cache_scope takes "repository" (the default) or "registry"');
      result.scope = scope;
    }
    if (line.name !== 'cache') continue;
    const words = line.input.split(/\s+/).filter((w) => w !== '');
    if (words.length === 1 && words[0] === 'off') {
      result.dir = undefined;
      continue;
    }
    const [dir, size, extra] = words;
    if (dir === undefined || extra !== undefined) {
      throw new RunmdError(line.inputPos, '.cache takes a directory and an optional size (e.g. ".cache /var/cache/lifec 20GiB") or "off"');
    }
    result.dir = path.resolve(home, dir);
    if (size !== undefined) {
      const bytes = parseSize(size);
      if (bytes === undefined || bytes <= 0) throw new RunmdError(line.inputPos, `"${size}" is not a size (e.g. 512MiB, 20GiB)`);
      result.maxBytes = bytes;
    }
  }
  // Without a cache the mirror is a plain proxy: tags are asked every time unless `.tag_ttl` says otherwise.
  if (!result.dir && !settings.some((l) => l.name === 'tag_ttl')) result.tagTtlMs = 0;
  return result;
}
