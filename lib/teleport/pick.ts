import type { Logger } from 'pino';
import type { Descriptor } from '../oci/descriptor';
import { isImageManifestMediaType, parseManifest } from '../oci/manifest';
import { platformMatches, type Platform } from '../oci/platform';
import { fetchVerifiedManifest, type RepositorySource, type VerifiedManifest } from '../referrers/source';
import type { TeleportFormat } from './formats';
import type { ManifestMemory } from './memory';

/** A streamable manifest, verified: `descriptor` describes `bytes` exactly. */
export interface Streamable {
  descriptor: Descriptor;
  bytes: Buffer;
  /** The referrer it was found through. */
  referrer: Descriptor;
}

/** A referrer the format can use, with the manifest it stands for. */
export interface Candidate {
  referrer: Descriptor;
  target: Descriptor;
}

/** Candidates tried before giving up: a registry full of broken referrers costs a bounded number of reads. */
const MAX_ATTEMPTS = 3;
const CREATED = 'org.opencontainers.image.created';

/**
 * The usable referrers, best first: by the format's preference of artifact
 * type, then those whose annotations name a `preferred` platform (default:
 * `platform`, which, when given, also excludes referrers naming another), then the
 * newest (`org.opencontainers.image.created`). Pure, so the ranking is
 * tested without a registry.
 */
export function rankCandidates(format: TeleportFormat, referrers: readonly Descriptor[], platform?: Platform, preferred: readonly Platform[] = platform ? [platform] : []): Candidate[] {
  const preference = (d: Descriptor): number => format.artifactTypes.indexOf(d.artifactType ?? '');
  const named = (d: Descriptor): number => (preferred.some((p) => namesPlatform(d, p)) ? 0 : 1);
  return referrers
    .filter((referrer) => preference(referrer) >= 0)
    .flatMap((referrer) => {
      const target = format.target(referrer, platform);
      return target ? [{ referrer, target }] : [];
    })
    .sort((a, b) =>
      preference(a.referrer) - preference(b.referrer) ||
      named(a.referrer) - named(b.referrer) ||
      (b.referrer.annotations?.[CREATED] ?? '').localeCompare(a.referrer.annotations?.[CREATED] ?? ''));
}

function namesPlatform(d: Descriptor, platform: Platform): boolean {
  const os = d.annotations?.['streaming.platform.os'];
  const architecture = d.annotations?.['streaming.platform.arch'];
  return os !== undefined && architecture !== undefined && platformMatches(platform, { os, architecture });
}

export interface PickInput {
  source: RepositorySource;
  format: TeleportFormat;
  referrers: readonly Descriptor[];
  /** Digest of the manifest the referrers refer to. */
  subject: string;
  /** The platform it must serve (index entries); undefined for a single manifest. */
  platform?: Platform;
  /** Platforms to prefer among several candidates (default: `platform`). */
  preferred?: readonly Platform[];
  verified: ManifestMemory<VerifiedManifest>;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * The best streamable manifest among `referrers` whose bytes verify, or
 * undefined. A candidate whose content does not hash to its digest, is not
 * an image manifest, has another size than announced, or names another
 * subject is skipped (and logged): it is never served.
 */
export async function pickStreamable(input: PickInput): Promise<Streamable | undefined> {
  const referrers = await Promise.all(input.referrers.map((r) => withAnnotations(input, r)));
  const candidates = rankCandidates(input.format, referrers, input.platform, input.preferred).slice(0, MAX_ATTEMPTS);
  for (const candidate of candidates) {
    try {
      return await verify(input, candidate);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      input.logger.warn({ registry: input.source.registry, repository: input.source.repository, subject: input.subject, referrer: candidate.referrer.digest, reason }, 'streamable referrer rejected');
    }
  }
  return undefined;
}

async function verify(input: PickInput, { referrer, target }: Candidate): Promise<Streamable> {
  const manifest = await verifiedManifest(input, target.digest);
  const parsed = parseManifest(manifest.bytes);
  if (parsed.kind !== 'manifest' || !isImageManifestMediaType(parsed.mediaType)) throw new Error(`${target.digest} is not an image manifest`);
  if (manifest.bytes.length !== target.size) throw new Error(`${target.digest} is ${manifest.bytes.length} bytes, announced ${target.size}`);
  // A referrer found under a mutable tag-schema index may be stale: its subject must be ours.
  if (target.digest === referrer.digest && parsed.subject && parsed.subject.digest !== input.subject) {
    throw new Error(`${target.digest} refers to ${parsed.subject.digest}, not ${input.subject}`);
  }
  const descriptor: Descriptor = { mediaType: parsed.mediaType, digest: target.digest, size: manifest.bytes.length };
  if (referrer.artifactType) descriptor.artifactType = referrer.artifactType;
  return { descriptor, bytes: manifest.bytes, referrer };
}

/**
 * How long a shared manifest read may take in all: the upstream client bounds
 * each wait, not the whole body, and every request for the manifest waits on it.
 */
const SHARED_READ_MS = 30_000;

/**
 * Manifest bytes by digest, verified, read once for a burst of pulls. The
 * read is shared, so one client leaving does not cancel it for the others;
 * it has its own deadline instead.
 */
export function verifiedManifest(input: Pick<PickInput, 'source' | 'verified'>, digest: string): Promise<VerifiedManifest> {
  const { source, verified } = input;
  return verified.getOrLoad(source.registry, source.repository, digest, () => fetchVerifiedManifest(source, digest, AbortSignal.timeout(SHARED_READ_MS)));
}

/** A link referrer listed without its annotations: read them from its (verified) manifest. */
async function withAnnotations(input: PickInput, referrer: Descriptor): Promise<Descriptor> {
  if (!input.format.needsAnnotations(referrer)) return referrer;
  try {
    const parsed = parseManifest((await verifiedManifest(input, referrer.digest)).bytes);
    return parsed.annotations ? { ...referrer, annotations: { ...parsed.annotations, ...referrer.annotations } } : referrer;
  } catch {
    return referrer;
  }
}
