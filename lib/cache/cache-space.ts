import type { Logger } from 'pino';
import type { BlobStore } from './blob-store';
import type { CacheEvents } from './content-cache';
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

  constructor(
    readonly maxBytes: number,
    private readonly store: BlobStore,
    private readonly events: CacheEvents,
    private readonly logger: Logger,
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
    if (this.index.remove(key)) this.reportUsage();
  }

  /**
   * Removes least recently used files (never `keep`) until the stored and
   * reserved bytes fit under the cap. Never fails: a file that cannot be
   * removed is logged and left for the next start's scan.
   */
  async evict(keep?: string): Promise<void> {
    const evicted = this.index.evictTo(Math.max(0, this.maxBytes - this.reservedBytes), keep);
    for (const entry of evicted) {
      await this.store.remove(entry.key).catch((error: Error) => {
        this.logger.warn({ digest: `sha256:${entry.key}`, err: error.message }, 'cache: could not remove an evicted file');
      });
    }
    if (evicted.length > 0) this.events.evicted(evicted.length, evicted.reduce((sum, e) => sum + e.size, 0));
    this.reportUsage();
  }

  private reportUsage(): void {
    this.events.usage(this.index.size, this.index.count);
  }
}
