import { MediaType, jsonBytes, type Descriptor, type OciLayout, type Platform, type StoredLayer } from './oci-layout';

/** A layer's descriptor plus the digest of its uncompressed tar. */
export interface LayerDescriptor extends Descriptor {
  diffId: string;
}

/** A manifest or index: its descriptor and the exact bytes behind it. */
export interface BuiltManifest {
  descriptor: Descriptor;
  /** The bytes pushed; the registry serves exactly these. */
  bytes: Buffer;
}

/** An image manifest with its config and layers. */
export interface BuiltImage extends BuiltManifest {
  config: Descriptor;
  layers: LayerDescriptor[];
}

/** A referrer (OCI 1.1 `subject`) and the blobs it needs. */
export interface BuiltReferrer extends BuiltManifest {
  /** Config and layer blobs, in push order. */
  blobs: Descriptor[];
}

/** A referrers tag-schema index, pushed under tag `sha256-<hex of subject>`. */
export interface ReferrersTagIndex extends BuiltManifest {
  tag: string;
}

/** Fixed so configs are the same bytes on every run. */
export const CREATED = '2024-01-01T00:00:00Z';

/** Drops the build-only `path` field so descriptors serialize cleanly. */
export const descriptorOf = (d: Descriptor): Descriptor => {
  const { mediaType, digest, size, artifactType, platform, annotations } = d;
  return { mediaType, digest, size, ...(artifactType && { artifactType }), ...(platform && { platform }), ...(annotations && { annotations }) };
};

const layerOf = (l: StoredLayer): LayerDescriptor => ({ ...descriptorOf(l), diffId: l.diffId });

/** Stores a manifest or index JSON in the layout and returns its descriptor and bytes. */
export function addManifest(layout: OciLayout, body: object, extra: Partial<Descriptor> = {}): BuiltManifest {
  const bytes = jsonBytes(body);
  const mediaType = (body as { mediaType?: string }).mediaType ?? MediaType.manifest;
  return { descriptor: { ...descriptorOf(layout.addBytes(bytes, mediaType)), ...extra }, bytes };
}

/** Stores an image config + manifest for `layers` (image-spec config.md, manifest.md). */
export function addImage(layout: OciLayout, platform: Platform, layers: StoredLayer[], extra: object = {}): BuiltImage {
  const config = {
    created: CREATED,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant && { variant: platform.variant }),
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/hello'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: CREATED, created_by: 'lifec-mirror test harness' })),
  };
  const configBlob = descriptorOf(layout.addBytes(jsonBytes(config), MediaType.config));
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.manifest,
    config: configBlob,
    layers: layers.map(descriptorOf),
    ...extra,
  };
  return { ...addManifest(layout, manifest), config: configBlob, layers: layers.map(layerOf) };
}

/** The descriptor a referrer uses as `subject`: media type, digest and size only. */
export const subjectOf = (d: Descriptor): Descriptor => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });

/**
 * The referrers tag-schema fallback (distribution-spec, "Referrers Tag Schema"):
 * an index of the referrer descriptors under tag `<alg>-<hex>` of the subject.
 */
export function addReferrersIndex(layout: OciLayout, subject: Descriptor, referrers: BuiltManifest[]): ReferrersTagIndex {
  const index = { schemaVersion: 2, mediaType: MediaType.index, manifests: referrers.map((r) => r.descriptor) };
  return { ...addManifest(layout, index), tag: subject.digest.replace(':', '-') };
}
