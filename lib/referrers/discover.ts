import { readLimited } from '../http/read-body';
import { ManifestFormatError, asObject, parseDescriptor, type Descriptor } from '../oci/descriptor';
import { artifactTypeOf, isImageManifestMediaType, parseIndex, parseManifest } from '../oci/manifest';
import { MAX_MANIFEST_BYTES, MediaType } from '../oci/mediatypes';
import type { UpstreamResponse } from '../upstream/exchange';
import { nextPageUrl } from './link';
import { fetchVerifiedManifest, SourceError, type RepositorySource } from './source';

/** What to look for and where. */
export interface DiscoveryOptions {
  /** Artifact types to keep; empty keeps every referrer. */
  artifactTypes: readonly string[];
  /** Also ask the pre-OCI-1.1 ORAS path when the registry has neither the API nor the tag. */
  legacyOras: boolean;
}

/** Where the referrers came from; `none` when no method found any. */
export type DiscoveryMethod = 'api' | 'tag-schema' | 'oras' | 'none';

export interface DiscoveryResult {
  referrers: Descriptor[];
  method: DiscoveryMethod;
}

/** Bounds on a hostile or broken registry: pages followed and referrers kept. */
const MAX_PAGES = 20;
const MAX_REFERRERS = 1000;
/** Referrers without `artifactType` whose manifests may be read to learn it. */
const MAX_TYPE_LOOKUPS = 16;

/**
 * Finds the referrers of `digest` (distribution-spec, "Listing Referrers"):
 * the referrers API first; on 404 the tag schema `<alg>-<hex>`; then, when
 * enabled, the legacy ORAS path. Registries may ignore `artifactType`, so the
 * answer is always filtered here too.
 *
 * @throws SourceError or ManifestFormatError when the registry answers badly
 */
export async function discoverReferrers(source: RepositorySource, digest: string, options: DiscoveryOptions): Promise<DiscoveryResult> {
  let found = await fromApi(source, digest, options.artifactTypes);
  if (found === undefined) found = await fromTagSchema(source, digest);
  if (found === undefined && options.legacyOras) found = await fromOras(source, digest, options.artifactTypes);
  if (found === undefined) return { referrers: [], method: 'none' };
  const referrers = await filterByType(source, found.referrers, options.artifactTypes);
  return { referrers, method: found.method };
}

type Found = { referrers: Descriptor[]; method: DiscoveryMethod } | undefined;

async function fromApi(source: RepositorySource, digest: string, types: readonly string[]): Promise<Found> {
  // One type can be filtered by the registry; several need one unfiltered list.
  const filter = types.length === 1 && types[0] !== undefined ? `?artifactType=${encodeURIComponent(types[0])}` : '';
  let path: string | undefined = `/v2/${source.repository}/referrers/${digest}${filter}`;
  const referrers: Descriptor[] = [];
  for (let page = 0; path !== undefined; page++) {
    if (page >= MAX_PAGES) throw new SourceError(`referrers of ${digest} span more than ${MAX_PAGES} pages`);
    const response = await source.send({ method: 'GET', path, headers: { accept: MediaType.ociIndex } });
    if (page === 0 && response.status === 404) return discard(response);
    const index = await readIndex(response, `referrers of ${digest}`);
    referrers.push(...index.manifests);
    if (referrers.length > MAX_REFERRERS) throw new SourceError(`more than ${MAX_REFERRERS} referrers of ${digest}`);
    path = sameOriginPath(source, nextPageUrl(response.headers.link, response.url));
  }
  return { referrers, method: 'api' };
}

async function fromTagSchema(source: RepositorySource, digest: string): Promise<Found> {
  const tag = digest.replace(':', '-');
  const response = await source.send({ method: 'GET', path: `/v2/${source.repository}/manifests/${tag}`, headers: { accept: MediaType.ociIndex } });
  if (response.status === 404) return discard(response);
  const index = await readIndex(response, `referrers tag ${tag}`);
  return { referrers: index.manifests.slice(0, MAX_REFERRERS), method: 'tag-schema' };
}

/** ORAS artifacts-spec `manifest-referrers-api.md`: `{"references": […]}` (later `referrers`). */
async function fromOras(source: RepositorySource, digest: string, types: readonly string[]): Promise<Found> {
  const query = new URLSearchParams({ digest });
  if (types.length === 1 && types[0] !== undefined) query.set('artifactType', types[0]);
  const response = await source.send({ method: 'GET', path: `/v2/${source.repository}/_oras/artifacts/referrers?${query}`, headers: { accept: 'application/json' } });
  if (response.status === 404) return discard(response);
  if (response.status !== 200) return failStatus(response, 'ORAS referrers');
  const body = asObject(parseJson(await readLimited(response.body, MAX_MANIFEST_BYTES)), 'ORAS referrers answer');
  const list = body.references ?? body.referrers;
  if (!Array.isArray(list)) throw new ManifestFormatError('ORAS referrers answer has no references list');
  return { referrers: list.slice(0, MAX_REFERRERS).map((d, i) => parseDescriptor(d, `references[${i}]`)), method: 'oras' };
}

async function readIndex(response: UpstreamResponse, what: string) {
  if (response.status !== 200) return failStatus(response, what);
  const contentType = response.headers['content-type']?.split(';', 1)[0]?.trim();
  if (contentType !== MediaType.ociIndex) {
    response.body.resume();
    throw new ManifestFormatError(`${what} is ${contentType ?? 'untyped'}, not an OCI image index`);
  }
  return parseIndex(await readLimited(response.body, MAX_MANIFEST_BYTES), contentType);
}

/**
 * Keeps referrers of the wanted types. A descriptor without `artifactType`
 * has the config media type of its manifest as its type, which only the
 * manifest itself tells (bounded number of reads); the type learned is set
 * on the descriptor.
 */
export async function filterByType(source: RepositorySource, referrers: Descriptor[], types: readonly string[]): Promise<Descriptor[]> {
  if (types.length === 0) return referrers;
  const kept: Descriptor[] = [];
  let lookups = 0;
  for (const descriptor of referrers) {
    let type = artifactTypeOf(descriptor);
    if (type === undefined && isImageManifestMediaType(descriptor.mediaType) && lookups++ < MAX_TYPE_LOOKUPS) {
      const manifest = parseManifest((await fetchVerifiedManifest(source, descriptor.digest)).bytes);
      if (manifest.kind === 'manifest') type = artifactTypeOf(descriptor, manifest);
      if (type !== undefined) descriptor.artifactType = type;
    }
    if (type !== undefined && types.includes(type)) kept.push(descriptor);
  }
  return kept;
}

/** A next-page link is followed only on the upstream's own origin: the mirror never becomes a proxy to elsewhere. */
function sameOriginPath(source: RepositorySource, next: URL | undefined): string | undefined {
  if (next === undefined) return undefined;
  if (next.origin !== new URL(source.origin).origin) throw new SourceError(`referrers page link points to another origin (${next.origin})`);
  return `${next.pathname}${next.search}`;
}

function discard(response: UpstreamResponse): undefined {
  response.body.resume();
  return undefined;
}

function failStatus(response: UpstreamResponse, what: string): never {
  response.body.resume();
  throw new SourceError(`${what} answered ${response.status}`);
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ManifestFormatError('answer is not JSON');
  }
}
