import type { Descriptor } from '../oci/descriptor';
import type { ImageIndex } from '../oci/manifest';

/**
 * The bytes of `index` with the entries at the given positions replaced by
 * streamable descriptors. Each replacement keeps the original entry's
 * `platform` (containerd picks the entry by it) and takes media type, digest,
 * size and artifact type from the verified streamable manifest; every other
 * field of the index and of the untouched entries is kept as sent.
 */
export function rewriteIndex(index: ImageIndex, replacements: ReadonlyMap<number, Descriptor>): Buffer {
  const entries = Array.isArray(index.raw.manifests) ? (index.raw.manifests as unknown[]) : [];
  const manifests = entries.map((entry, i) => {
    const streamable = replacements.get(i);
    if (!streamable) return entry;
    const platform = (entry as { platform?: unknown }).platform;
    return {
      mediaType: streamable.mediaType,
      digest: streamable.digest,
      size: streamable.size,
      ...(platform !== undefined && { platform }),
      ...(streamable.artifactType && { artifactType: streamable.artifactType }),
    };
  });
  return Buffer.from(JSON.stringify({ ...index.raw, manifests }));
}
