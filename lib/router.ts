import { randomUUID } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { MirrorContext } from './middleware/context';
import type { RouteKind } from './oci/routes';
import { MirrorError } from './errors';
import { answerManifest } from './middleware/answer';
import type { PluginDefinition, PluginDeps } from './middleware/plugin';
import { assertDigest, assertName, assertReference } from './oci/reference';
import { Header } from './oci/mediatypes';
import type { ProxySpec, RouteSpec } from './runmd/config';
import { UpstreamClient } from './upstream/client';

/**
 * Route paths. `*name` matches one or more segments, so `library/redis` and
 * `a/b/c` route correctly; the reference is always one segment.
 */
const ROUTE_PATHS: Readonly<Record<RouteKind, string>> = {
  manifests: '/v2/*name/manifests/:reference',
  blobs: '/v2/*name/blobs/:reference',
  tags: '/v2/*name/tags/list',
  referrers: '/v2/*name/referrers/:reference',
};

/**
 * Compiles a `.proxy` into an Express router: `/v2/` answers the API version
 * check, and each route runs its plugin stack in the order the runmd lists it.
 */
export function buildProxyRouter(proxy: ProxySpec, plugins: ReadonlyMap<string, PluginDefinition>, deps: PluginDeps): Router {
  const router = express.Router({ caseSensitive: true });
  const clients = new Map(deps.upstreams.all.map((u) => [u.host, new UpstreamClient(u, deps.services.resilience.policyFor(u.host))]));
  router.get(['/v2', '/v2/'], apiVersion);
  router.head(['/v2', '/v2/'], apiVersion);
  for (const route of proxy.routes) {
    const stack = route.plugins.map((call) => {
      const plugin = plugins.get(call.name);
      if (!plugin) throw new Error(`plugin ${call.name} is not in the catalog`);
      return plugin.create(call, deps);
    });
    const answer = route.kind === 'manifests' ? [answerManifest] : [];
    router
      .route(ROUTE_PATHS[route.kind])
      .all(allowMethods(route), bindContext(route.kind, deps, clients))
      .get(...stack, ...answer)
      .head(...stack, ...answer);
  }
  router.use('/v2', (_req, _res) => {
    throw new MirrorError(404, 'UNSUPPORTED', 'this mirror does not serve that API');
  });
  return router;
}

const apiVersion: RequestHandler = (_req, res) => {
  res.setHeader(Header.apiVersion, 'registry/2.0');
  res.type('application/json').send('{}');
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
function bindContext(kind: RouteKind, deps: PluginDeps, clients: ReadonlyMap<string, UpstreamClient>): RequestHandler {
  return (req, res, next) => {
    const upstream = deps.upstreams.select(namespaceOf(req));
    const client = upstream && clients.get(upstream.host);
    if (!upstream || !client) {
      throw new MirrorError(404, 'NAME_UNKNOWN', 'this mirror does not serve that registry', { detail: { ns: req.query.ns ?? null } });
    }
    const repository = repositoryOf(req);
    const reference = kind === 'tags' ? undefined : (req.params.reference as string);
    let referenceKind: MirrorContext['referenceKind'];
    if (reference !== undefined) {
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
      client,
      route: kind,
      repository,
      reference,
      referenceKind,
      signal: controller.signal,
    };
    next();
  };
}

function namespaceOf(req: Request): string | undefined {
  const ns = req.query.ns;
  if (ns === undefined) return undefined;
  if (typeof ns !== 'string') throw new MirrorError(400, 'UNSUPPORTED', 'the ns parameter must appear once');
  return ns;
}

/** The repository name, checked on the raw path too: an encoded `/` or `.` must not sneak through decoding. */
function repositoryOf(req: Request): string {
  const segments = req.params.name as unknown as string[] | string;
  const name = Array.isArray(segments) ? segments.join('/') : segments;
  const rawPath = req.originalUrl.split('?', 1)[0] ?? '';
  if (rawPath.includes('%')) throw new MirrorError(400, 'NAME_INVALID', 'percent-encoded characters are not allowed in repository paths');
  assertName(name);
  return name;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a caller's request id when it is well formed, so logs line up across hops. */
function requestIdOf(req: Request): string {
  const given = req.get(Header.requestId);
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

export type { Response };
