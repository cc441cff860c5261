import type { Logger } from 'pino';
import type { ResolvedManifest } from '../oci/resolved-manifest';
import { verifiesDigest } from '../oci/digest';
import { cacheKey } from './cache-key';
import type { CacheEvents } from './events';
import type { CacheServices } from './services';
import { TagCache, type TagEntry } from './tag-cache';

/** The header that tells a client its manifest came from a stale tag resolution. */
export const STALE_HEADER = 'Lifec-Cache';

/** What identifies a manifest request for the cache. */
export interface ManifestRequest {
  host: string;
  repository: string;
  reference: string;
  referenceKind: 'tag' | 'digest';
  /** The `Accept` sent upstream: content negotiation can give one tag several manifests. */
  accept: string;
  head: boolean;
  requestId: string;
}

/**
 * Manifests for `.resolve`: by digest from the content cache (immutable, so
 * a hit never asks the upstream), by tag from a resolution younger than
 * `.tag_ttl`, and by tag from an older one when the upstream fails.
 */
export class ManifestCache {
  constructor(
    private readonly cache: CacheServices,
    private readonly events: CacheEvents,
    private readonly logger: Logger,
  ) {}

  /** Whether manifest bytes are kept by digest (the cache is on), so a tag can be revalidated with a HEAD. */
  get storesContent(): boolean {
    return this.cache.content !== undefined;
  }

  /** A manifest the mirror may answer with without asking the upstream. */
  async fresh(req: ManifestRequest): Promise<ResolvedManifest | undefined> {
    if (req.referenceKind === 'digest') return this.stored(req.reference);
    const found = this.cache.tags.get(this.tagKey(req));
    this.events.lookup('tag', found?.fresh === true);
    return found?.fresh ? this.fromTag(found.entry, req.head) : undefined;
  }

  /** The last known resolution of a tag, for when the upstream failed; marked as stale. */
  async stale(req: ManifestRequest, reason: string): Promise<ResolvedManifest | undefined> {
    if (req.referenceKind !== 'tag') return undefined;
    const found = this.cache.tags.get(this.tagKey(req));
    const manifest = found && (await this.fromTag(found.entry, req.head));
    if (!manifest) return undefined;
    this.events.staleServed();
    this.logger.warn({ reqId: req.requestId, ns: req.host, repository: req.repository, tag: req.reference, digest: manifest.digest, reason }, 'upstream failed: serving the last known manifest for the tag');
    return { ...manifest, headers: { ...manifest.headers, [STALE_HEADER]: 'stale' } };
  }

  /** Records a manifest the upstream answered: the tag's resolution, and the bytes by digest. */
  async remember(req: ManifestRequest, manifest: ResolvedManifest): Promise<void> {
    if (manifest.status !== 200 || !manifest.digest) return;
    if (req.referenceKind === 'tag') {
      this.cache.tags.set(this.tagKey(req), { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.body?.length ?? manifest.size });
    }
    const key = cacheKey(manifest.digest);
    const content = this.cache.content;
    // Cached exactly as served, and only when the bytes are what the digest says.
    if (content && key && manifest.body && verifiesDigest(manifest.body, manifest.digest)) {
      await content.putManifest(key, manifest.body, manifest.mediaType).catch((err: Error) => {
        this.logger.warn({ digest: manifest.digest, err: err.message }, 'cache: could not store a manifest');
      });
      // The upstream served it under this repository: answering it here from the cache widens nothing.
      await content.scopes?.add(req.host, req.repository, key);
    }
  }

  private tagKey(req: ManifestRequest): string {
    return TagCache.key(req.host, req.repository, req.reference, req.accept);
  }

  /** The manifest stored under `digest`, with its bytes, if the cache has it. */
  async stored(digest: string): Promise<ResolvedManifest | undefined> {
    const key = cacheKey(digest);
    const stored = key && (await this.cache.content?.getManifest(key));
    if (!stored) return undefined;
    return { status: 200, mediaType: stored.mediaType, digest, size: stored.body.length, body: stored.body, headers: {} };
  }

  /** From a tag resolution: with the bytes when cached, else (HEAD only) the descriptor alone. */
  private async fromTag(entry: TagEntry, head: boolean): Promise<ResolvedManifest | undefined> {
    const stored = await this.stored(entry.digest);
    if (stored) return stored;
    if (!head) return undefined;
    return { status: 200, mediaType: entry.mediaType, digest: entry.digest, size: entry.size, headers: {} };
  }
}
