import type { Clock } from '../clock';
import type { DiscoveryResult } from './discover';

/** How long answers stay and how many are kept. */
export interface ReferrersCacheOptions {
  /** Lifetime of a found (or empty) answer, in milliseconds. */
  ttlMs: number;
  /** Lifetime of a failure, so a burst against a failing registry does not retry on every pull. */
  failureTtlMs: number;
  maxEntries: number;
}

export const DEFAULT_REFERRERS_CACHE: ReferrersCacheOptions = { ttlMs: 30_000, failureTtlMs: 5_000, maxEntries: 1_000 };

/** The identity of one lookup: the same subject looked up for the same types. */
export interface ReferrersKey {
  registry: string;
  repository: string;
  digest: string;
  /** The artifact types asked for (the registry filter differs by type). */
  artifactTypes: readonly string[];
}

/** Counts for logs and metrics: how often the cache answered and how often a lookup failed. */
export interface ReferrersStats {
  hits: number;
  lookups: number;
  failures: number;
}

interface Entry {
  expires: number;
  result: Promise<DiscoveryResult>;
}

/**
 * Referrers by (registry, repository, digest, types) for a short time, with
 * single-flight: concurrent pulls of the same tag share one upstream lookup.
 * A failed lookup is cached too, for `failureTtlMs`, so that failures cost
 * one lookup per burst and not one per pull.
 */
export class ReferrersCache {
  readonly stats: ReferrersStats = { hits: 0, lookups: 0, failures: 0 };
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock, private readonly options: ReferrersCacheOptions = DEFAULT_REFERRERS_CACHE) {}

  /** The cached answer for `key`, or the one `load` produces (shared with concurrent callers). */
  get(key: ReferrersKey, load: () => Promise<DiscoveryResult>, ttlMs = this.options.ttlMs): Promise<DiscoveryResult> {
    const id = cacheId(key);
    const now = this.clock.now();
    const cached = this.entries.get(id);
    if (cached && cached.expires > now) {
      this.stats.hits++;
      return cached.result;
    }
    this.stats.lookups++;
    const result = load();
    // Until it settles the entry lives as long as a success; a failure shortens it.
    const entry: Entry = { expires: now + ttlMs, result };
    result.catch(() => {
      this.stats.failures++;
      if (this.entries.get(id) === entry) entry.expires = Math.min(entry.expires, this.clock.now() + this.options.failureTtlMs);
    });
    this.entries.delete(id);
    this.entries.set(id, entry);
    this.evict(now);
    return result;
  }

  /** Drops everything (tests, config reloads). */
  clear(): void {
    this.entries.clear();
  }

  private evict(now: number): void {
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && entry.expires > now) break;
      if (entry.expires <= now || this.entries.size > this.options.maxEntries) this.entries.delete(id);
    }
  }
}

function cacheId(key: ReferrersKey): string {
  return JSON.stringify([key.registry, key.repository, key.digest, [...key.artifactTypes].sort()]);
}
