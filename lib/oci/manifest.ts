import { asObject, ManifestFormatError, parseAnnotations, parseDescriptor, type Descriptor } from './descriptor';
import { isIndexMediaType, MediaType } from './mediatypes';

/** An image manifest (image-spec manifest.md; Docker schema 2 has the same shape). */
export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An image index or Docker manifest list (image-spec image-index.md). */
export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
  /** The parsed JSON as sent, so a rewrite keeps every field it does not change. */
  raw: Record<string, unknown>;
}

/** True for the media types of a single-platform image manifest. */
export function isImageManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

/**
 * Parses manifest bytes as served. `contentType` is the `Content-Type` the
 * registry sent; when the body names a `mediaType` too, they must agree
 * (image-spec: "the mediaType property … MUST match").
 *
 * @throws ManifestFormatError when the bytes are not JSON or not a manifest/index
 */
export function parseManifest(bytes: Buffer, contentType?: string): ImageManifest | ImageIndex {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ManifestFormatError('manifest is not JSON');
  }
  const o = asObject(json, 'manifest');
  const declared = typeof o.mediaType === 'string' ? o.mediaType : undefined;
  const mediaType = declared ?? contentType ?? '';
  if (declared && contentType && declared !== contentType) throw new ManifestFormatError(`manifest says ${declared} but was served as ${contentType}`);
  if (o.schemaVersion !== 2) throw new ManifestFormatError('manifest schemaVersion is not 2');
  const common = {
    mediaType,
    ...(typeof o.artifactType === 'string' && { artifactType: o.artifactType }),
    ...(o.subject !== undefined && { subject: parseDescriptor(o.subject, 'subject') }),
    ...(o.annotations !== undefined && { annotations: parseAnnotations(o.annotations, 'manifest') }),
  };
  if (isIndexMediaType(mediaType) || (!declared && Array.isArray(o.manifests))) {
    if (!Array.isArray(o.manifests)) throw new ManifestFormatError('index has no manifests list');
    const manifests = o.manifests.map((m, i) => parseDescriptor(m, `manifests[${i}]`));
    return { kind: 'index', ...common, mediaType: mediaType || MediaType.ociIndex, manifests, raw: o };
  }
  if (!Array.isArray(o.layers)) throw new ManifestFormatError('manifest has no layers list');
  const layers = o.layers.map((l, i) => parseDescriptor(l, `layers[${i}]`));
  return { kind: 'manifest', ...common, mediaType: mediaType || MediaType.ociManifest, config: parseDescriptor(o.config, 'config'), layers };
}

/** Parses bytes that must be an index (a referrers answer, a tag-schema index). */
export function parseIndex(bytes: Buffer, contentType?: string): ImageIndex {
  if (contentType && !isIndexMediaType(contentType)) throw new ManifestFormatError(`expected an image index, got ${contentType}`);
  const parsed = parseManifest(bytes, contentType);
  if (parsed.kind !== 'index') throw new ManifestFormatError(`expected an image index, got ${parsed.mediaType}`);
  return parsed;
}

/**
 * A descriptor's artifact type: its `artifactType`, or else the config media
 * type of the manifest it describes (distribution-spec, "Listing Referrers").
 */
export function artifactTypeOf(descriptor: Descriptor, manifest?: ImageManifest): string | undefined {
  return descriptor.artifactType ?? manifest?.artifactType ?? manifest?.config.mediaType;
}
