import type { Logger } from 'pino';
import type { ResolvedManifest } from '../oci/resolved-manifest';
import { accepts } from '../http/accept';
import { sha256Digest, verifiesDigest } from '../oci/digest';
import type { Descriptor } from '../oci/descriptor';
import { isImageManifestMediaType, parseIndex, type ImageIndex } from '../oci/manifest';
import { isIndexMediaType } from '../oci/mediatypes';
import { formatPlatform, platformMatches, type Platform } from '../oci/platform';
import type { ReferrersLookup } from '../referrers/lookup';
import type { RepositorySource, VerifiedManifest } from '../referrers/source';
import type { ManifestMemory, ProducedManifest } from './memory';
import type { TeleportOptions } from './options';
import { pickConvertedIndex } from './converted-index';
import { pickStreamable, verifiedManifest } from './pick';
import { rewriteIndex } from './rewrite';

/** The response header that marks a teleported answer. */
export const TELEPORT_HEADER = 'Lifec-Teleport';

/** What teleporting one request needs. */
export interface TeleportRequest {
  options: TeleportOptions;
  source: RepositorySource;
  lookup: ReferrersLookup;
  /** The manifest `.resolve` found for the tag (HEAD: no body). */
  manifest: ResolvedManifest;
  /** The client's `Accept`. */
  accept: string | undefined;
  verified: ManifestMemory<VerifiedManifest>;
  produced: ManifestMemory<ProducedManifest>;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * The streamable answer for a tag, or undefined to serve the original: an
 * image manifest becomes its streamable referrer; an index becomes its
 * converted index when every platform is wanted and the converter attached
 * one, else gets its entries for the wanted platforms replaced by their
 * streamable referrers, and the new bytes are kept so the mirror can serve
 * them by digest.
 */
export async function teleport(request: TeleportRequest): Promise<ResolvedManifest | undefined> {
  const { manifest } = request;
  if (!manifest.digest) return undefined;
  if (isImageManifestMediaType(manifest.mediaType)) return teleportManifest(request);
  if (isIndexMediaType(manifest.mediaType)) return teleportIndex(request);
  return undefined;
}

async function teleportManifest(request: TeleportRequest): Promise<ResolvedManifest | undefined> {
  const { manifest, options } = request;
  const streamable = await pickStreamable({ ...pickContext(request), referrers: await request.lookup.find(manifest.digest), subject: manifest.digest, preferred: preferredPlatforms(options) });
  if (!streamable) return undefined;
  if (!accepts(request.accept, streamable.descriptor.mediaType)) {
    request.logger.info({ digest: manifest.digest, mediaType: streamable.descriptor.mediaType }, 'not teleported: the client does not accept the streamable media type');
    return undefined;
  }
  return answer(streamable.descriptor, streamable.bytes, `${options.format.name}; from=${manifest.digest}`);
}

async function teleportIndex(request: TeleportRequest): Promise<ResolvedManifest | undefined> {
  const { manifest, options, source } = request;
  const [index, referrers] = await Promise.all([originalIndex(request), options.platforms === 'all' ? request.lookup.find(manifest.digest) : []]);
  if (!index) return undefined;
  if (options.platforms === 'all') {
    const converted = await pickConvertedIndex({ ...pickContext(request), referrers, subject: manifest.digest, original: index });
    if (converted && accepts(request.accept, converted.descriptor.mediaType)) {
      return answer(converted.descriptor, converted.bytes, `${options.format.name}; from=${manifest.digest}; converted index`);
    }
  }
  const replacements = new Map<number, Descriptor>();
  const teleported: string[] = [];
  await Promise.all(index.manifests.map(async (entry, i) => {
    const platform = entry.platform;
    if (!platform || !isImageManifestMediaType(entry.mediaType) || !wanted(options, platform)) return;
    const referrers = await request.lookup.find(entry.digest);
    const streamable = await pickStreamable({ ...pickContext(request), referrers, subject: entry.digest, platform });
    if (!streamable) return;
    replacements.set(i, streamable.descriptor);
    teleported.push(formatPlatform(platform));
  }));
  if (replacements.size === 0) return undefined;
  const bytes = rewriteIndex(index, replacements);
  const descriptor = { mediaType: manifest.mediaType, digest: sha256Digest(bytes), size: bytes.length };
  const mark = `${options.format.name}; from=${manifest.digest}; platforms=${teleported.sort().join(',')}`;
  request.produced.put(source.registry, source.repository, { ...descriptor, bytes, from: manifest.digest, mark });
  return answer(descriptor, bytes, mark);
}

/**
 * The index bytes exactly as the registry serves them under their digest. A
 * HEAD left none: they are read once for a burst of HEADs (the memory of
 * verified manifests), not once per request.
 */
async function originalIndex(request: TeleportRequest): Promise<ImageIndex | undefined> {
  const { manifest } = request;
  let bytes = manifest.body;
  if (bytes === undefined) bytes = (await verifiedManifest(request, manifest.digest)).bytes;
  else if (!verifiesDigest(bytes, manifest.digest)) throw new Error(`index body does not match its digest ${manifest.digest}`);
  return parseIndex(bytes, manifest.mediaType);
}

/** A single manifest's referrers may name platforms (ACR): prefer the node's. */
function preferredPlatforms(options: TeleportOptions): readonly Platform[] {
  return options.platforms === 'all' ? [] : options.platforms;
}

function wanted(options: TeleportOptions, platform: Platform): boolean {
  return options.platforms === 'all' || options.platforms.some((p) => platformMatches(p, platform));
}

function pickContext(request: TeleportRequest) {
  const { source, options, verified, logger, signal } = request;
  return { source, format: options.format, verified, logger, signal };
}

function answer(descriptor: Descriptor, bytes: Buffer, mark: string): ResolvedManifest {
  return { status: 200, mediaType: descriptor.mediaType, digest: descriptor.digest, size: bytes.length, body: bytes, headers: { [TELEPORT_HEADER]: mark } };
}
