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
  return {
    artifactTypes: options.artifactTypes,
    async find(digest) {
      const key = { registry: source.registry, repository: source.repository, digest, artifactTypes: options.artifactTypes };
      try {
        const result = await cache.get(key, () => discoverReferrers(source, digest, options), options.ttlMs);
        logger.debug({ registry: source.registry, repository: source.repository, digest, method: result.method, found: result.referrers.length }, 'referrers discovered');
        return result.referrers;
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        logger.warn({ registry: source.registry, repository: source.repository, digest, reason }, 'referrers discovery failed; serving the original manifest');
        return [];
      }
    },
  };
}
