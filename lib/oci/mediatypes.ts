/** Media types and header names of the OCI image and distribution specs, in one place. */

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** What containerd sends on a resolve; used when a client sends no `Accept` at all. */
export const DEFAULT_MANIFEST_ACCEPT = [
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.ociIndex,
  '*/*',
].join(', ');

export const Header = {
  contentDigest: 'docker-content-digest',
  apiVersion: 'docker-distribution-api-version',
  wwwAuthenticate: 'www-authenticate',
  requestId: 'x-request-id',
  /** The upload session of a blob upload answer (distribution-spec, "Pushing blobs"). */
  uploadUuid: 'docker-upload-uuid',
  /** A manifest PUT with `subject` names it here when the registry serves the referrers API. */
  subject: 'oci-subject',
  /** The smallest chunk a registry takes in a chunked upload. */
  chunkMinLength: 'oci-chunk-min-length',
} as const;

/** True for the media types of an image index / manifest list. */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

/** Containerd rejects manifests over 4 MiB; the mirror holds no more than that in memory. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
