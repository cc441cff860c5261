/**
 * Where clients reach the mirror: `http://localhost:8578`, or what
 * `--mirror-url` says. A client on the mirror's own machine dials loopback
 * even when the mirror binds every address (`0.0.0.0`, `::`).
 */
export interface MirrorEndpoint {
  /** `http://localhost:8578`: scheme, host and port, no path. */
  url: string;
  /** `localhost:8578`: the host and port without a scheme (podman's mirror `location`). */
  authority: string;
  /** Plain HTTP: podman needs `insecure = true` for it (it has no loopback exemption). */
  plainHttp: boolean;
  /** The host is loopback (`localhost`, 127.0.0.0/8, `::1`). */
  loopback: boolean;
}

const UNSPECIFIED = new Set(['0.0.0.0', '::']);

/**
 * The endpoint for a `.proxy` address (`localhost:8578`, `[::1]:8578`),
 * with the host as written; `https` when the `.proxy` serves TLS (`.tls`).
 *
 * @throws Error when the address is not `host:port`
 */
export function endpointFromAddress(address: string, scheme: 'http' | 'https' = 'http'): MirrorEndpoint {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim());
  const host = match?.[1] ?? match?.[2];
  if (!host) throw new Error(`"${address}" is not a host:port address`);
  const dial = UNSPECIFIED.has(host) ? 'localhost' : host;
  return endpointFromUrl(`${scheme}://${dial.includes(':') ? `[${dial}]` : dial}:${match?.[3] ?? ''}`);
}

/**
 * The endpoint for a URL given by hand (`--mirror-url https://mirror.example:8578`).
 *
 * @throws Error when the text is not an http(s) URL without path, query or credentials
 */
export function endpointFromUrl(text: string): MirrorEndpoint {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new Error(`"${text}" is not a mirror URL (e.g. http://localhost:8578)`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash || url.pathname !== '/') {
    throw new Error(`"${text}" must be an http(s) URL with a host and port only (e.g. http://localhost:8578)`);
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = hostname === 'localhost' || /^127\./.test(hostname) || hostname === '::1';
  return { url: `${url.protocol}//${url.host}`, authority: url.host, plainHttp: url.protocol === 'http:', loopback };
}

/**
 * A registry as one path segment after the mirror's address
 * (`localhost:8578/<segment>`): podman rejects a `:` in a mirror location's
 * path ("invalid reference format"), so `127.0.0.1:5000` becomes
 * `127.0.0.1_5000`; the mirror reads `_` back as `:` (issue 13, request shape 2).
 */
export function registryPathSegment(registry: string): string {
  return registry.toLowerCase().replace(':', '_');
}
