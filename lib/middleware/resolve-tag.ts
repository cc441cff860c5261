import type { ManifestCache, ManifestRequest } from '../cache/manifest-cache';
import { MirrorError } from '../errors';
import type { ResolvedManifest } from '../oci/resolved-manifest';
import { Header } from '../oci/mediatypes';
import { isValidDigest } from '../oci/reference';
import type { UpstreamResponse } from '../upstream/exchange';
import { headerValue, readManifest, type ManifestSender } from './manifest-fetch';

/**
 * A GET by tag, asked so that it costs the least pull quota: registries
 * such as Docker Hub count manifest GETs, not HEADs (REFERENCE.md, "Docker
 * Hub"). The tag is asked with a HEAD; its digest is answered from the cache
 * when the bytes are there (another tag, an earlier run), and only otherwise
 * fetched with a GET by digest, whose bytes must hash to it.
 *
 * @returns the manifest; a GET answer that was not 200, for the caller to
 *   treat as any failed GET; or `undefined` when the HEAD cannot tell (no
 *   digest, 404, 401, 5xx): the caller then asks with a GET by tag, which
 *   carries the upstream's own error body
 * @throws MirrorError 429 with the upstream's `Retry-After` when the HEAD is
 *   rate limited and no earlier resolution of the tag is known
 */
export async function resolveTagByHead(host: string, send: ManifestSender, manifests: ManifestCache, asked: ManifestRequest): Promise<ResolvedManifest | UpstreamResponse | undefined> {
  const head = await send('HEAD', asked.reference);
  head.body.resume();
  if (head.status === 429) return (await manifests.stale(asked, 'upstream answered 429')) ?? tooManyRequests(host, head);
  const digest = headerValue(head, Header.contentDigest);
  if (head.status !== 200 || !isValidDigest(digest)) return undefined;
  const stored = await manifests.stored(digest);
  if (stored) return stored;
  const get = await send('GET', digest);
  if (get.status !== 200) return get;
  return readManifest(host, get, digest);
}

function tooManyRequests(host: string, head: UpstreamResponse): never {
  const retryAfter = headerValue(head, 'retry-after');
  throw new MirrorError(429, 'TOOMANYREQUESTS', `upstream ${host} is rate limiting its pulls`, { headers: retryAfter ? { 'Retry-After': retryAfter } : {} });
}
