import type { Descriptor } from '../oci/descriptor';
import { isImageManifestMediaType, parseManifest, type ImageIndex } from '../oci/manifest';
import { isIndexMediaType } from '../oci/mediatypes';
import { formatPlatform, platformMatches } from '../oci/platform';
import { verifiedManifest, type PickInput, type Streamable } from './pick';

/** Index referrers tried before giving up. */
const MAX_ATTEMPTS = 3;
const CREATED = 'org.opencontainers.image.created';

export interface ConvertedIndexInput extends Omit<PickInput, 'platform' | 'preferred'> {
  /** The index the referrers refer to: every platform of it must be converted. */
  original: ImageIndex;
}

/**
 * The converted index attached to a whole multi-platform index, verified,
 * or undefined. The overlaybd converter (`convertor --referrer`) pushes an
 * image index with the streamable artifact type whose `subject` is the
 * original index and whose entries are the converted manifests (each also
 * a referrer of its original). With all platforms wanted it is the answer
 * as it is: the registry holds it, so a fetch by its digest needs nothing
 * from the mirror's memory, unlike a rewritten index.
 */
export async function pickConvertedIndex(input: ConvertedIndexInput): Promise<Streamable | undefined> {
  const { format } = input;
  if (!format.convertsIndexes) return undefined;
  const preference = (d: Descriptor): number => format.artifactTypes.indexOf(d.artifactType ?? '');
  // The format's preferred type first, then the newest.
  const candidates = input.referrers
    .filter((r) => preference(r) >= 0 && isIndexMediaType(r.mediaType))
    .sort((a, b) => preference(a) - preference(b) || (b.annotations?.[CREATED] ?? '').localeCompare(a.annotations?.[CREATED] ?? ''))
    .slice(0, MAX_ATTEMPTS);
  for (const referrer of candidates) {
    try {
      return await verify(input, referrer);
    } catch (err) {
      // The client left: nothing more to try for it.
      if (input.signal?.aborted) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      input.logger.warn({ registry: input.source.registry, repository: input.source.repository, subject: input.subject, referrer: referrer.digest, reason }, 'converted index rejected');
    }
  }
  return undefined;
}

async function verify(input: ConvertedIndexInput, referrer: Descriptor): Promise<Streamable> {
  const { bytes } = await verifiedManifest(input, referrer.digest);
  const parsed = parseManifest(bytes);
  if (parsed.kind !== 'index') throw new Error(`${referrer.digest} is not an image index`);
  if (bytes.length !== referrer.size) throw new Error(`${referrer.digest} is ${bytes.length} bytes, announced ${referrer.size}`);
  if (parsed.artifactType !== undefined && parsed.artifactType !== referrer.artifactType) {
    throw new Error(`${referrer.digest} has artifact type ${parsed.artifactType}, listed as ${referrer.artifactType ?? 'none'}`);
  }
  // A referrer found under a mutable tag-schema index may be stale: its subject must be ours.
  if (parsed.subject?.digest !== input.subject) throw new Error(`${referrer.digest} refers to ${parsed.subject?.digest ?? 'nothing'}, not ${input.subject}`);
  // Served as it is, it must hold every platform of the original (a partial one would drop platforms).
  for (const entry of input.original.manifests) {
    if (!entry.platform || !isImageManifestMediaType(entry.mediaType) || isAttestation(entry)) continue;
    const platform = entry.platform;
    if (!parsed.manifests.some((m) => m.platform && platformMatches(platform, m.platform))) {
      throw new Error(`${referrer.digest} has no manifest for ${formatPlatform(platform)}`);
    }
  }
  const descriptor: Descriptor = { mediaType: parsed.mediaType, digest: referrer.digest, size: bytes.length };
  if (referrer.artifactType) descriptor.artifactType = referrer.artifactType;
  return { descriptor, bytes, referrer };
}

/**
 * A BuildKit attestation entry (platform `unknown/unknown`,
 * `vnd.docker.reference.type: attestation-manifest`): no image to run, and
 * the converter leaves it out of the converted index.
 */
function isAttestation(entry: Descriptor): boolean {
  return entry.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (entry.platform?.os === 'unknown' && entry.platform.architecture === 'unknown');
}
