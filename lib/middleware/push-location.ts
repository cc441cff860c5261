/** Where the client reaches the mirror, to point an upstream `Location` back at it. */
export interface MirrorAddress {
  /** The path the mirror's router is mounted under ('' at the root). */
  base: string;
  /** The client's `ns`, added back so its next request reaches the same registry. */
  ns?: string;
}

/**
 * Turns an upstream `Location` (absolute, or relative to the request it
 * answers) into a mirror-relative URL: the upstream's path and query as they
 * are (the upload id, Distribution's `_state` and any other opaque state),
 * `ns` added back. containerd, skopeo and podman resolve a relative
 * `Location` against the host they sent the request to, so they keep talking
 * to the mirror, which holds the credentials.
 *
 * @returns undefined when the location leaves the upstream's origin or its
 *   `/v2/` API: the mirror forwards only to the declared registry.
 */
export function mirrorLocation(location: string, request: URL, address: MirrorAddress): string | undefined {
  let url: URL;
  try {
    url = new URL(location, request);
  } catch {
    return undefined;
  }
  if (url.origin !== request.origin || !url.pathname.startsWith('/v2/')) return undefined;
  const ns = address.ns === undefined ? '' : `ns=${encodeURIComponent(address.ns)}`;
  const query = [url.search.slice(1), ns].filter((part) => part !== '').join('&');
  return `${address.base}${url.pathname}${query ? `?${query}` : ''}`;
}
