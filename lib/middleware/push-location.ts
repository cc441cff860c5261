import { clientPath, type Selection } from '../upstream/select';

/**
 * Turns an upstream `Location` (absolute, or relative to the request it
 * answers) into a mirror-relative URL in the shape the client addressed the
 * mirror with (`ns` added back, or the registry put back in the path): the
 * upstream's path and query as they are, so the upload id, Distribution's
 * `_state` and any other opaque state survive. containerd, skopeo and podman
 * resolve a relative `Location` against the host they sent the request to,
 * so they keep talking to the mirror, which holds the credentials.
 *
 * @param base the path the mirror's router is mounted under ('' at the root)
 * @returns undefined when the location leaves the upstream's origin or its
 *   `/v2/` API: the mirror forwards only to the declared registry.
 */
export function mirrorLocation(location: string, request: URL, base: string, selection: Selection): string | undefined {
  let url: URL;
  try {
    url = new URL(location, request);
  } catch {
    return undefined;
  }
  if (url.origin !== request.origin || !url.pathname.startsWith('/v2/')) return undefined;
  return `${base}${clientPath(selection, `${url.pathname}${url.search}`)}`;
}
