import { parseDescriptor, type Descriptor } from '../oci/descriptor';
import { isImageManifestMediaType } from '../oci/manifest';
import { platformMatches, type Platform } from '../oci/platform';

/** Artifact types of streamable images (see docs/teleport.md). */
export const ArtifactType = {
  /** What the overlaybd converter (accelerated-container-image) attaches as a referrer. */
  overlaybdNative: 'application/vnd.containerd.overlaybd.native.v1+json',
  overlaybdTurbo: 'application/vnd.containerd.overlaybd.turbo.v1+json',
  /** What the original lifec tool searched for. */
  dadi: 'dadi.image.v1',
  /** ACR artifact streaming: the referrer is the streamable manifest. */
  azureStreaming: 'application/vnd.azure.artifact.streaming.v1',
  /** Earlier ACR artifact streaming: the referrer's annotations point at the streamable manifest. */
  azureStreamingLink: 'application/vnd.azure.artifact.streaming.link.v1',
} as const;

/** Annotations ACR puts on streaming referrers. */
export const StreamingAnnotation = {
  format: 'streaming.format',
  os: 'streaming.platform.os',
  arch: 'streaming.platform.arch',
  mediaType: 'streaming.mediaType',
  digest: 'streaming.digest',
  size: 'streaming.size',
} as const;

/** How a format reads one referrer. */
export interface TeleportFormat {
  name: string;
  /** The image format the node's snapshotter must understand (`x-ms-upgrade-if-streamable`). */
  streamFormat: string;
  /** Artifact types this format accepts, most preferred first. */
  artifactTypes: readonly string[];
  /**
   * True when a converted index attached to a whole multi-platform index (an
   * index referrer of the index) is the format's answer for all platforms.
   */
  convertsIndexes: boolean;
  /** True when the referrer's annotations are needed and the descriptor may lack them (read the referrer's manifest). */
  needsAnnotations(referrer: Descriptor): boolean;
  /**
   * The streamable manifest a referrer stands for, or undefined when the
   * referrer is not usable for `platform` (undefined: any platform).
   */
  target(referrer: Descriptor, platform: Platform | undefined): Descriptor | undefined;
}

/** overlaybd: the referrer is itself the streamable image manifest. */
const overlaybd: TeleportFormat = {
  name: 'overlaybd',
  streamFormat: 'overlaybd',
  artifactTypes: [ArtifactType.overlaybdNative, ArtifactType.overlaybdTurbo, ArtifactType.dadi],
  // `convertor --referrer` attaches the converted index to the original index, and each converted manifest to its original.
  convertsIndexes: true,
  needsAnnotations: () => false,
  target: (referrer) => (isImageManifestMediaType(referrer.mediaType) ? referrer : undefined),
};

/** ACR artifact streaming, both forms; the stream format is overlaybd. */
const azureStreaming: TeleportFormat = {
  name: 'azure-streaming',
  streamFormat: 'overlaybd',
  artifactTypes: [ArtifactType.azureStreaming, ArtifactType.azureStreamingLink],
  convertsIndexes: false,
  needsAnnotations: (referrer) =>
    referrer.artifactType === ArtifactType.azureStreamingLink && referrer.annotations?.[StreamingAnnotation.digest] === undefined,
  target(referrer, platform) {
    const a = referrer.annotations ?? {};
    const format = a[StreamingAnnotation.format];
    if (format !== undefined && format !== 'overlaybd') return undefined;
    const os = a[StreamingAnnotation.os];
    const architecture = a[StreamingAnnotation.arch];
    if (platform && os !== undefined && architecture !== undefined && !platformMatches(platform, { os, architecture })) return undefined;
    if (referrer.artifactType === ArtifactType.azureStreaming) return isImageManifestMediaType(referrer.mediaType) ? referrer : undefined;
    return linkTarget(a);
  },
};

/** `streaming.mediaType`/`digest`/`size` of a link referrer, checked like any descriptor. */
function linkTarget(annotations: Record<string, string>): Descriptor | undefined {
  const size = Number(annotations[StreamingAnnotation.size]);
  try {
    const descriptor = parseDescriptor({ mediaType: annotations[StreamingAnnotation.mediaType], digest: annotations[StreamingAnnotation.digest], size });
    return isImageManifestMediaType(descriptor.mediaType) ? descriptor : undefined;
  } catch {
    return undefined;
  }
}

/** Every format `.teleport` accepts, by runmd name. */
export const TELEPORT_FORMATS: ReadonlyMap<string, TeleportFormat> = new Map([overlaybd, azureStreaming].map((f) => [f.name, f]));
