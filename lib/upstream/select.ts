import { MirrorError } from '../errors';
import type { Upstream, UpstreamSet } from './upstream';

/**
 * How a client named the registry it wants (docs/clients.md):
 * - `ns`: `?ns=<registry>` (containerd, k3s/rke2, nerdctl, Docker with the containerd store);
 * - `path`: `/v2/<registry>/<repository>/…` (a podman / CRI-O / buildah `registries.conf` mirror location with a path);
 * - `prefix`: `/<registry>/v2/<repository>/…` (Docker Engine ≥ 25 `registry-mirrors` and containerd `[host]` URLs with a path);
 * - `default`: none of these (Docker Engine's classic `registry-mirrors`, skopeo, curl).
 */
export type RequestShape = 'ns' | 'path' | 'prefix' | 'default';

/** What the request says about its registry, read from the route before any check. */
export interface RegistryHints {
  /** The `ns` query parameter, once. */
  ns?: string;
  /** The path segment before `/v2` (shape 3), as sent. */
  prefix?: string;
  /** The repository path after `/v2/`, segments joined by `/`. */
  name: string;
}

/** The upstream a request goes to and how the client addressed it. */
export interface Selection {
  upstream: Upstream;
  shape: RequestShape;
  /** The repository on the upstream (`library/` added for Docker Hub's single names). */
  repository: string;
  /** The registry segment as the client wrote it (`127.0.0.1_5000`), for shapes `path` and `prefix`. */
  segment?: string;
  /** The client's `ns`, kept in the pagination links it follows. */
  ns?: string;
}

/**
 * Reads a registry named in a path. podman rejects a `:` in a mirror
 * location's path, so `host_port` stands for `host:port` there; both forms
 * are accepted. Only declared registries match, so no other host is reached.
 */
export function registryOfSegment(upstreams: UpstreamSet, segment: string): Upstream | undefined {
  const exact = upstreams.byHost(segment);
  if (exact) return exact;
  const port = /^(.+)_(\d{1,5})$/.exec(segment);
  return port ? upstreams.byHost(`${port[1]}:${port[2]}`) : undefined;
}

/**
 * Chooses the upstream of a request, in the order of issue 13's request
 * shapes: `ns`, then a `/<registry>/v2` prefix (which must agree with `ns`),
 * then a first repository segment naming a declared registry, else the
 * default registry. An undeclared `ns` or prefix is `404 NAME_UNKNOWN`
 * without any upstream call; an undeclared first segment is part of the
 * repository name on the selected registry.
 *
 * @throws MirrorError 404 NAME_UNKNOWN, or 400 when `ns` and the prefix name different registries
 */
export function selectUpstream(upstreams: UpstreamSet, hints: RegistryHints): Selection {
  const byNs = hints.ns === undefined ? undefined : (upstreams.byHost(hints.ns) ?? unknown({ ns: hints.ns }));
  if (hints.prefix !== undefined) {
    const byPrefix = registryOfSegment(upstreams, hints.prefix) ?? unknown({ registry: hints.prefix });
    if (byNs && byNs !== byPrefix) {
      throw new MirrorError(400, 'NAME_INVALID', `ns=${hints.ns} and the path prefix /${hints.prefix} name different registries`);
    }
    return selected(byPrefix, 'prefix', hints.name, hints.prefix, hints.ns);
  }
  if (byNs) return selected(byNs, 'ns', hints.name, undefined, hints.ns);
  const slash = hints.name.indexOf('/');
  const first = slash > 0 ? hints.name.slice(0, slash) : undefined;
  const byPath = first === undefined ? undefined : registryOfSegment(upstreams, first);
  if (byPath && first !== undefined) return selected(byPath, 'path', hints.name.slice(slash + 1), first);
  const fallback = upstreams.defaultUpstream ?? unknown({});
  return selected(fallback, 'default', hints.name);
}

function selected(upstream: Upstream, shape: RequestShape, name: string, segment?: string, ns?: string): Selection {
  return { upstream, shape, repository: upstreamRepository(upstream, name), segment, ns };
}

function unknown(detail: Record<string, string>): never {
  throw new MirrorError(404, 'NAME_UNKNOWN', 'this mirror does not serve that registry', { detail });
}

/**
 * Docker Hub's official images live under `library/` (`redis` is
 * `library/redis`), as the Docker CLI and containerd normalise them; only
 * for docker.io, since on any other registry a single name is a name.
 */
export function upstreamRepository(upstream: Upstream, name: string): string {
  return upstream.host === 'docker.io' && !name.includes('/') ? `library/${name}` : name;
}

/**
 * The path a client follows for an upstream path (`/v2/<repo>/tags/list?…`
 * from a `Link: <…>; rel="next"` header, an upload's `Location`), in the
 * shape the client used, so the next request reaches the same registry
 * (distribution-spec, "Listing Tags", "Pushing blobs"). The upstream's query
 * is kept as written (an upload's opaque state), except any `ns` in it: `ns`
 * is the mirror's parameter, and one the upstream wrote would send the
 * client's next request (and the credentials of another registry) elsewhere.
 * The client's own `ns` is appended.
 */
export function clientPath(selection: Selection, upstreamPath: string): string {
  const url = new URL(upstreamPath, 'http://mirror.invalid');
  const pairs = url.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && !isNsPair(pair));
  if (selection.ns !== undefined) pairs.push(`ns=${encodeURIComponent(selection.ns)}`);
  const search = pairs.length > 0 ? `?${pairs.join('&')}` : '';
  let pathname = url.pathname;
  if (selection.shape === 'prefix') pathname = `/${selection.segment}${pathname}`;
  else if (selection.shape === 'path') pathname = pathname.replace(/^\/v2\//, `/v2/${selection.segment}/`);
  return `${pathname}${search}`;
}

/** A query pair whose name decodes to `ns` (as the router's query parser reads it). */
function isNsPair(pair: string): boolean {
  const name = pair.split('=', 1)[0] ?? '';
  try {
    return decodeURIComponent(name.replaceAll('+', ' ')) === 'ns';
  } catch {
    return name === 'ns';
  }
}
