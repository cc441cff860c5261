import { BlobStore, type StoredFile } from './blob-store';

/** A cache directory as `lifec-mirror cache` sees it. */
export interface CacheListing {
  dir: string;
  /** Least recently used first (the order `prune` removes in). */
  files: StoredFile[];
  totalBytes: number;
}

/** Lists a cache directory without changing it. */
export async function listCache(dir: string): Promise<CacheListing> {
  const files = (await new BlobStore(dir).list()).sort((a, b) => a.mtimeMs - b.mtimeMs);
  return { dir, files, totalBytes: files.reduce((sum, f) => sum + f.size, 0) };
}

/**
 * Removes least recently used files until the cache holds at most `maxBytes`.
 * A mirror running on the directory treats a removed file as a miss.
 */
export async function pruneCache(dir: string, maxBytes: number): Promise<{ removed: StoredFile[]; totalBytes: number }> {
  const store = new BlobStore(dir);
  const listing = await listCache(dir);
  let total = listing.totalBytes;
  const removed: StoredFile[] = [];
  for (const file of listing.files) {
    if (total <= maxBytes) break;
    await store.remove(file.key);
    total -= file.size;
    removed.push(file);
  }
  return { removed, totalBytes: total };
}

/** `1.5 GiB`, `12.0 MiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
