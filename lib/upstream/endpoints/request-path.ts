/** A pull path split around its repository: `/v2/<name><tail>`. */
export interface RepositoryPath {
  name: string;
  /** `/manifests/<ref>`, `/blobs/<digest>`, `/referrers/<digest>` or `/tags/list`, with the query. */
  tail: string;
}

/**
 * Splits an upstream request path. The route kind is read from the end
 * (distribution-spec: the reference is one segment), so a repository with a
 * component called `blobs` still splits right.
 */
export function splitRepositoryPath(path: string): RepositoryPath | undefined {
  const queryAt = path.indexOf('?');
  const pathname = queryAt < 0 ? path : path.slice(0, queryAt);
  const query = queryAt < 0 ? '' : path.slice(queryAt);
  const segments = pathname.split('/');
  if (segments[0] !== '' || segments[1] !== 'v2') return undefined;
  // `<kind>/<reference>` or `tags/list`: the kind is always the second segment from the end.
  const kindAt = segments.length - 2;
  if (kindAt < 3) return undefined;
  return { name: segments.slice(2, kindAt).join('/'), tail: `/${segments.slice(kindAt).join('/')}${query}` };
}

/**
 * The path asked of an endpoint. With a prefix (a Harbor proxy project) the
 * repository goes under it; without one the request carries `ns=<registry>`,
 * as containerd sends to a mirror host, so a tier that mirrors several
 * registries (another lifec-mirror, Spegel) knows which one is meant.
 */
export function endpointPath(path: string, registry: string, prefix: string | undefined): string {
  if (prefix !== undefined) {
    const split = splitRepositoryPath(path);
    return split ? `/v2/${prefix}/${split.name}${split.tail}` : path;
  }
  return `${path}${path.includes('?') ? '&' : '?'}ns=${encodeURIComponent(registry)}`;
}
