/**
 * What the cache reports about its work, for metrics. An interface, so the
 * cache does not depend on prom-client; the mirror's metrics implement it.
 */
export interface CacheEvents {
  /** A lookup by digest (blob, manifest) or of a tag's resolution (tag), and whether it hit. */
  lookup(kind: 'blob' | 'manifest' | 'tag', hit: boolean): void;
  evicted(entries: number, bytes: number): void;
  usage(bytes: number, entries: number): void;
  downloaded(bytes: number, outcome: 'verified' | 'failed'): void;
  /** A manifest was served from a stale tag resolution because the upstream failed. */
  staleServed(): void;
  /** A blob was relayed without being cached: larger than the cap, or no room on the disk. */
  relayed(reason: RelayReason): void;
}

/** Why a cacheable blob was relayed instead of cached. */
export type RelayReason = 'too_large' | 'no_space';

/** For a cache nobody observes. */
export const NO_CACHE_EVENTS: CacheEvents = {
  lookup: () => undefined,
  evicted: () => undefined,
  usage: () => undefined,
  downloaded: () => undefined,
  staleServed: () => undefined,
  relayed: () => undefined,
};
