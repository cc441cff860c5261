import { randomUUID } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { MirrorContext } from './middleware/context';
import { isWrite, type RouteKind } from './oci/routes';
import { MirrorError } from './errors';
import { answerManifest } from './middleware/answer';
import type { PluginDefinition, PluginDeps } from './middleware/plugin';
import { assertDigest, assertName, assertReference } from './oci/reference';
import { checkUpload } from './middleware/upload-params';
import { Header } from './oci/mediatypes';
import { methodNotAllowed } from './http/not-served';
import type { ProxySpec, RouteSpec } from './runmd/config';
import type { UpstreamSender } from './upstream/exchange';
import { createSenders, namingEndpoint } from './middleware/senders';
import { registryOfSegment, selectUpstream } from './upstream/select';
import type { UpstreamSet } from './upstream/upstream';

/**
 * Route paths. `*name` matches one or more segments, so `library/redis` and
 * `a/b/c` route correctly; the reference is always one segment. Each route
 * is also served under `/<registry>` (request shape 3, lib/upstream/select.ts).
 */
const ROUTE_PATHS: Readonly<Record<RouteKind, string | string[]>> = {
  manifests: '/v2/*name/manifests/:reference',
  blobs: '/v2/*name/blobs/:reference',
  tags: '/v2/*name/tags/list',
  referrers: '/v2/*name/referrers/:reference',
  // Mounted before blobs, whose `:reference` would take `uploads` (a trailing slash is optional).
  uploads: ['/v2/*name/blobs/uploads/', '/v2/*name/blobs/uploads/:reference'],
};

/** Paths and the same paths under a `/<registry>` prefix; the plain forms are tried first. */
const withPrefix = (paths: string | string[]): string[] => {
  const plain = Array.isArray(paths) ? paths : [paths];
  return [...plain, ...plain.map((path) => `/:registry${path}`)];
};

/**
 * Compiles a `.proxy` into an Express router: `/v2/` answers the API version
 * check, and each route runs its plugin stack in the order the runmd lists it.
 */
export function buildProxyRouter(proxy: ProxySpec, plugins: ReadonlyMap<string, PluginDefinition>, deps: PluginDeps): Router {
  const router = express.Router({ caseSensitive: true });
  const clients = createSenders(proxy, deps);
  const ping = apiVersion(deps.upstreams);
  router.get([...withPrefix('/v2'), ...withPrefix('/v2/')], ping);
  router.head([...withPrefix('/v2'), ...withPrefix('/v2/')], ping);
  const notThisMethod = methodNotAllowed(['GET', 'HEAD']);
  router.all([...withPrefix('/v2'), ...withPrefix('/v2/')], (req, res, next) => (registryHints(req, deps.upstreams), notThisMethod(req, res, next)));
  const takesPushes = proxy.routes.some((r) => r.kind === 'uploads');
  if (!takesPushes) router.all(withPrefix(ROUTE_PATHS.uploads), refuseUploads);
  for (const route of [...proxy.routes].sort((a, b) => Number(b.kind === 'uploads') - Number(a.kind === 'uploads'))) {
    const stack = route.plugins.map((call) => {
      const plugin = plugins.get(call.name);
      if (!plugin) throw new Error(`plugin ${call.name} is not in the catalog`);
      return plugin.create(call, deps);
    });
    // A write stops at `.push` (the compiler puts only credential plugins before it).
    const writeStack = stack.slice(0, route.plugins.findIndex((call) => plugins.get(call.name)?.writes === 'answers') + 1);
    const answer = route.kind === 'manifests' ? [answerManifest] : [];
    const mounted = router.route(withPrefix(ROUTE_PATHS[route.kind])).all(allowMethods(route), bindContext(route.kind, deps, clients, takesPushes));
    for (const method of route.methods) mounted[method](...(isWrite(route.kind, method) ? writeStack : [...stack, ...answer]));
  }
  router.use(withPrefix('/v2'), (req, _res) => {
    registryHints(req, deps.upstreams);
    throw new MirrorError(404, 'UNSUPPORTED', 'this mirror does not serve that API');
  });
  return router;
}

/** `GET /v2/` (and `/<registry>/v2/` for a declared registry): the API version check clients ping first. */
function apiVersion(upstreams: UpstreamSet): RequestHandler {
  return (req, res) => {
    registryHints(req, upstreams);
    res.setHeader(Header.apiVersion, 'registry/2.0');
    res.type('application/json').send('{}');
  };
}

/** Without a `.uploads` route, an upload is a method the mirror does not allow anywhere (RFC 9110: an empty `Allow`). */
const refuseUploads: RequestHandler = () => {
  throw new MirrorError(405, 'UNSUPPORTED', 'this mirror takes no uploads (its .proxy has no .uploads route)', { headers: { Allow: '' } });
};

/** Methods not listed on the route answer 405 (Express would otherwise serve HEAD with the GET stack). */
function allowMethods(route: RouteSpec): RequestHandler {
  const allowed = route.methods.map((m) => m.toUpperCase());
  return (req, _res, next) => {
    if (allowed.includes(req.method)) return next();
    throw new MirrorError(405, 'UNSUPPORTED', `${req.method} is not served on ${route.kind}`, { headers: { Allow: allowed.join(', ') } });
  };
}

/**
 * Validates the path and `ns`, then creates the request's context. Runs
 * before any plugin, so nothing invalid or undeclared reaches an upstream.
 */
function bindContext(kind: RouteKind, deps: PluginDeps, clients: ReadonlyMap<string, UpstreamSender>, takesPushes: boolean): RequestHandler {
  return (req, res, next) => {
    const selection = selectUpstream(deps.upstreams, { ...registryHints(req, deps.upstreams), name: nameOf(req) });
    const { upstream, repository } = selection;
    // Checked once the registry is taken off: `127.0.0.1:5000/a` is a registry and a name, not a name.
    assertName(repository);
    const client = clients.get(upstream.host);
    if (!client) throw new MirrorError(404, 'NAME_UNKNOWN', 'this mirror does not serve that registry', { detail: { ns: upstream.host } });
    const reference = req.params.reference as string | undefined;
    let referenceKind: MirrorContext['referenceKind'];
    if (kind === 'uploads') checkUpload(req, reference);
    else if (reference !== undefined) {
      if (kind === 'manifests') referenceKind = assertReference(reference);
      else (assertDigest(reference), (referenceKind = 'digest'));
    }
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    res.locals.mirror = {
      requestId: requestIdOf(req),
      startedAt: deps.clock.now(),
      upstream,
      selection,
      client: namingEndpoint(client, res),
      route: kind,
      repository,
      reference,
      referenceKind,
      headFromUpstream: takesPushes && req.method === 'HEAD',
      signal: controller.signal,
    };
    next();
  };
}

/**
 * The registry the request names by `ns` and by a `/<registry>/v2` prefix.
 * An undeclared prefix is refused here, so even the ping or an unsupported
 * API under it answers `404 NAME_UNKNOWN`.
 */
function registryHints(req: Request, upstreams: UpstreamSet): { ns?: string; prefix?: string } {
  const ns = req.query.ns;
  if (ns !== undefined && typeof ns !== 'string') throw new MirrorError(400, 'UNSUPPORTED', 'the ns parameter must appear once');
  const prefix = req.params.registry as string | undefined;
  if (prefix !== undefined && !registryOfSegment(upstreams, prefix)) {
    throw new MirrorError(404, 'NAME_UNKNOWN', 'this mirror does not serve that registry', { detail: { registry: prefix } });
  }
  return { ns, prefix };
}

/**
 * The path after `/v2/` up to the route's keyword, checked on the raw path: an
 * encoded `/` or `.` must not sneak through decoding. The grammar is checked
 * on the repository once `selectUpstream` has read a registry off it.
 */
function nameOf(req: Request): string {
  const segments = req.params.name as unknown as string[] | string;
  const rawPath = req.originalUrl.split('?', 1)[0] ?? '';
  if (rawPath.includes('%')) throw new MirrorError(400, 'NAME_INVALID', 'percent-encoded characters are not allowed in repository paths');
  return Array.isArray(segments) ? segments.join('/') : segments;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a caller's request id when it is well formed, so logs line up across hops. */
function requestIdOf(req: Request): string {
  const given = req.get(Header.requestId);
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

export type { Response };
