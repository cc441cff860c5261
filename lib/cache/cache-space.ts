import type { Logger } from 'pino';
import type { BlobStore } from './blob-store';
import type { CacheEvents } from './events';
import { LruIndex } from './lru-index';

/** Bytes counted as taken until `release` (which is idempotent). */
export interface Reservation {
  release(): void;
}

/**
 * The cache's room under its cap: the stored files by recency, and the bytes
 * that downloads in progress reserve (their announced sizes), so that the
 * directory never holds more than the cap while blobs download.
 */
export class CacheSpace {
  readonly index = new LruIndex();
  private reservedBytes = 0;
  /** Removals of evicted files in progress, by key: the key's files must not be placed again before they end. */
  private readonly removing = new Map<string, Promise<void>>();

  constructor(
    readonly maxBytes: number,
    private readonly store: BlobStore,
    private readonly events: CacheEvents,
    private readonly logger: Logger,
    /** Told of every key whose content left the index. */
    private readonly onRemoved: (key: string) => void = () => undefined,
  ) {}

  /** Reserves room for a download of `bytes`, evicting what no longer fits. */
  async reserve(bytes: number): Promise<Reservation> {
    this.reservedBytes += bytes;
    let held = true;
    const reservation = {
      release: () => {
        if (held) this.reservedBytes -= bytes;
        held = false;
      },
    };
    await this.evict();
    return reservation;
  }

  /** Indexes a stored file (used at `usedAt`) and evicts what no longer fits next to it. */
  async add(key: string, size: number, usedAt: number): Promise<void> {
    this.index.add(key, size, usedAt);
    await this.evict(key);
  }

  /** Forgets a file that is gone. */
  remove(key: string): void {
    this.onRemoved(key);
    if (this.index.remove(key)) this.reportUsage();
  }

  /** Resolves once no eviction is removing `key`'s files; wait for it before placing them. */
  async removed(key: string): Promise<void> {
    await this.removing.get(key);
  }

  /**
   * Removes least recently used files (never `keep`) until the stored and
   * reserved bytes fit under the cap; when the downloads in progress alone
   * need more than the cap, that empties the cache. Never fails: a file
   * that cannot be removed is logged and left for the next start's scan.
   */
  async evict(keep?: string): Promise<void> {
    const evicted = this.index.evictTo(Math.max(0, this.maxBytes - this.reservedBytes), keep);
    if (evicted.length > 0) {
      for (const entry of evicted) this.onRemoved(entry.key);
      // The entries left the index at once; their files go one by one. A
      // download of one of them placed meanwhile would be removed with them.
      const removal = this.removeFiles(evicted.map((e) => e.key));
      for (const entry of evicted) this.removing.set(entry.key, removal);
      await removal;
      for (const entry of evicted) if (this.removing.get(entry.key) === removal) this.removing.delete(entry.key);
      this.events.evicted(evicted.length, evicted.reduce((sum, e) => sum + e.size, 0));
    }
    this.reportUsage();
  }

  private async removeFiles(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      await this.store.remove(key).catch((error: Error) => {
        this.logger.warn({ digest: `sha256:${key}`, err: error.message }, 'cache: could not remove an evicted file');
      });
    }
  }

  private reportUsage(): void {
    this.events.usage(this.index.size, this.index.count);
  }
}
