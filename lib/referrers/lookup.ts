import type { Logger } from 'pino';
import type { Descriptor } from '../oci/descriptor';
import type { ReferrersCache } from './cache';
import { discoverReferrers, type DiscoveryOptions } from './discover';
import type { RepositorySource } from './source';

/**
 * Referrers of manifests in the request's repository, as `.discover` set
 * them up for the plugins after it (`ctx.discovery`).
 */
export interface ReferrersLookup {
  /** The artifact types looked for; empty means every type. */
  readonly artifactTypes: readonly string[];
  /** Lookups through this object that failed (and yielded nothing), for the caller's metrics. */
  readonly failures: number;
  /**
   * The referrers of `digest`. Never rejects: a failed discovery is logged
   * and counted and yields no referrers, so the pull goes on with the
   * original manifest.
   */
  find(digest: string): Promise<Descriptor[]>;
}

export interface LookupOptions extends DiscoveryOptions {
  /** How long an answer is reused. */
  ttlMs: number;
}

/** A lookup over `source` that shares answers through `cache`. */
export function createLookup(source: RepositorySource, cache: ReferrersCache, options: LookupOptions, logger: Logger): ReferrersLookup {
  let failures = 0;
  return {
    artifactTypes: options.artifactTypes,
    get failures() {
      return failures;
    },
    async find(digest) {
      const key = { registry: source.registry, repository: source.repository, digest, artifactTypes: options.artifactTypes };
      try {
        const result = await cache.get(key, () => discoverReferrers(source, digest, options), options.ttlMs);
        logger.debug({ registry: source.registry, repository: source.repository, digest, method: result.method, found: result.referrers.length }, 'referrers discovered');
        return result.referrers;
      } catch (err) {
        failures++;
        const reason = err instanceof Error ? err.message : String(err);
        logger.warn({ registry: source.registry, repository: source.repository, digest, reason }, 'referrers discovery failed; serving the original manifest');
        return [];
      }
    },
  };
}
