import type { Descriptor } from '../oci/descriptor';
import { parseManifest, type ImageManifest } from '../oci/manifest';
import { formatPlatform, platformMatches, type Platform } from '../oci/platform';
import { WarmError, type FetchedManifest } from './mirror-api';

/** The platforms to warm: a list, or every platform an index lists. */
export type WantedPlatforms = readonly Platform[] | 'all';

/** A config or layer an image needs. */
export interface ImageBlob {
  kind: 'config' | 'layer';
  descriptor: Descriptor;
}

/** What an image needs besides its manifests: every config and layer, each once. */
export interface ImageContent {
  /** The platforms chosen from an index (`linux/amd64`); empty for a single-platform image. */
  platforms: string[];
  blobs: ImageBlob[];
}

/** Fetches a manifest by digest through the mirror (and counts it as warmed). */
export type FetchManifest = (digest: string, size: number | undefined) => Promise<FetchedManifest>;

/** Index entries that are not images to run: buildx attestations are listed as `unknown/unknown`. */
function isRunnable(descriptor: Descriptor): boolean {
  return descriptor.platform !== undefined && descriptor.platform.os !== 'unknown' && descriptor.platform.architecture !== 'unknown';
}

/**
 * Walks an image from its root manifest to the blobs a pull needs, as
 * containerd does (image-spec image-index.md): an index is narrowed to the
 * wanted platforms (each the first entry that matches, as containerd's
 * platform matcher picks), or to every runnable entry with `all`; each image
 * manifest adds its config and layers. Blobs shared between platforms are
 * listed once.
 *
 * @throws WarmError when a manifest is malformed or no entry fits a wanted platform
 */
export async function walkImage(rootDigest: string, wanted: WantedPlatforms, fetch: FetchManifest): Promise<ImageContent> {
  const root = parse(await fetch(rootDigest, undefined), rootDigest);
  if (root.kind === 'manifest') return { platforms: [], blobs: contentOf(root) };
  const chosen = choose(root.manifests, wanted, rootDigest);
  const blobs = new Map<string, ImageBlob>();
  for (const entry of chosen) {
    const child = parse(await fetch(entry.digest, entry.size), entry.digest);
    // Nested indexes are allowed by the spec but not by containerd's pull; say so rather than guess.
    if (child.kind !== 'manifest') throw new WarmError(`${entry.digest} is an index inside an index: not warmed`);
    for (const blob of contentOf(child)) if (!blobs.has(blob.descriptor.digest)) blobs.set(blob.descriptor.digest, blob);
  }
  return { platforms: chosen.map((e) => formatPlatform(e.platform ?? { os: '', architecture: '' })), blobs: [...blobs.values()] };
}

function choose(entries: readonly Descriptor[], wanted: WantedPlatforms, digest: string): Descriptor[] {
  const runnable = entries.filter(isRunnable);
  if (wanted === 'all') {
    if (runnable.length === 0) throw new WarmError(`the index ${digest} lists no platform image`);
    return runnable;
  }
  return wanted.map((platform) => {
    const match = runnable.find((e) => e.platform && platformMatches(platform, e.platform));
    if (!match) {
      const offered = runnable.map((e) => formatPlatform(e.platform!)).join(', ') || 'none';
      throw new WarmError(`no ${formatPlatform(platform)} image in the index (it has ${offered})`);
    }
    return match;
  });
}

function contentOf(manifest: ImageManifest): ImageBlob[] {
  return [{ kind: 'config', descriptor: manifest.config }, ...manifest.layers.map((descriptor) => ({ kind: 'layer' as const, descriptor }))];
}

function parse(fetched: FetchedManifest, digest: string): ReturnType<typeof parseManifest> {
  try {
    return parseManifest(fetched.body, fetched.mediaType || undefined);
  } catch (err) {
    throw new WarmError(`${digest} is not a manifest the mirror can walk: ${(err as Error).message}`, { cause: err });
  }
}
