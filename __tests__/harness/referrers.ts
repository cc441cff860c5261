import { CREATED, addImage, addManifest, descriptorOf, subjectOf, type BuiltManifest, type BuiltReferrer } from './image-builder';
import { MediaType, jsonBytes, type Descriptor, type OciLayout, type Platform } from './oci-layout';
import { randomBytes } from './prng';

/** artifactType the overlaybd converter gives the manifests it attaches as referrers. */
export const OVERLAYBD_ARTIFACT_TYPE = 'application/vnd.containerd.overlaybd.native.v1+json';
/** artifactType the original lifec tool searched for. */
export const DADI_ARTIFACT_TYPE = 'dadi.image.v1';
/** Layer annotations overlaybd puts on its blobs (accelerated-container-image). */
export const OVERLAYBD_ANNOTATION = {
  digest: 'containerd.io/snapshot/overlaybd/blob-digest',
  size: 'containerd.io/snapshot/overlaybd/blob-size',
  version: 'containerd.io/snapshot/overlaybd/version',
} as const;

const manifestAnnotations = { 'org.opencontainers.image.created': CREATED };

/**
 * An overlaybd-like image: one uncompressed layer (an `overlaybd.commit` file of
 * pseudo-random data) annotated with its digest, size and format version, with
 * `subject` and `artifactType` set, as the converter's referrer output looks.
 */
export function addOverlaybdReferrer(layout: OciLayout, subject: Descriptor, platform: Platform, seed: string): BuiltReferrer {
  const layer = layout.addLayer([{ name: 'overlaybd.commit', content: randomBytes(seed, 64 * 1024) }], false);
  layer.annotations = {
    [OVERLAYBD_ANNOTATION.digest]: layer.digest,
    [OVERLAYBD_ANNOTATION.size]: String(layer.size),
    [OVERLAYBD_ANNOTATION.version]: '0.1.0',
  };
  const image = addImage(layout, platform, [layer], {
    artifactType: OVERLAYBD_ARTIFACT_TYPE,
    subject: subjectOf(subject),
    annotations: manifestAnnotations,
  });
  return {
    bytes: image.bytes,
    // Referrer descriptors carry the artifactType and the manifest's annotations (spec "Listing Referrers").
    descriptor: { ...image.descriptor, artifactType: OVERLAYBD_ARTIFACT_TYPE, annotations: manifestAnnotations },
    blobs: [image.config, ...image.layers.map(descriptorOf)],
  };
}

/** A pure OCI 1.1 artifact: the empty config and one small payload blob. */
export function addDadiReferrer(layout: OciLayout, subject: Descriptor): BuiltReferrer {
  const config = descriptorOf(layout.addBytes(jsonBytes({}), MediaType.empty));
  const payload = layout.addBytes(Buffer.from('lifec-mirror test artifact payload\n'), 'application/vnd.lifec.test.payload.v1');
  const layer = { ...descriptorOf(payload), annotations: { 'org.opencontainers.image.title': 'payload.txt' } };
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.manifest,
    artifactType: DADI_ARTIFACT_TYPE,
    config,
    layers: [layer],
    subject: subjectOf(subject),
    annotations: manifestAnnotations,
  };
  const built = addManifest(layout, manifest, { artifactType: DADI_ARTIFACT_TYPE, annotations: manifestAnnotations });
  return { ...built, blobs: [config, layer] };
}

/**
 * The converter's output for a multi-arch source: an index with `subject` = the
 * source index and `artifactType`, listing the per-platform converted manifests.
 */
export function addOverlaybdIndexReferrer(
  layout: OciLayout,
  subject: Descriptor,
  platforms: Array<{ platform: Platform; referrer: BuiltManifest }>,
): BuiltReferrer {
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.index,
    artifactType: OVERLAYBD_ARTIFACT_TYPE,
    manifests: platforms.map((p) => ({ ...subjectOf(p.referrer.descriptor), platform: p.platform })),
    subject: subjectOf(subject),
    annotations: manifestAnnotations,
  };
  const built = addManifest(layout, index, { artifactType: OVERLAYBD_ARTIFACT_TYPE, annotations: manifestAnnotations });
  return { ...built, blobs: [] };
}
