import type { Request } from 'express';
import { mirrorContext, type MirrorContext } from './context';
import { type ResolvedManifest } from '../oci/resolved-manifest';
import { ManifestCache, type ManifestRequest } from '../cache/manifest-cache';
import { MirrorError, UpstreamError } from '../errors';
import { forwardHeaders } from './forward';
import { readLimited } from '../http/read-body';
import { relay } from '../http/relay';
import { clientPath } from '../upstream/select';
import { sha256Digest, verifiesDigest } from '../oci/digest';
import { DEFAULT_MANIFEST_ACCEPT, Header, MAX_MANIFEST_BYTES } from '../oci/mediatypes';
import { producedManifest } from '../teleport/memory';
import type { UpstreamResponse } from '../upstream/exchange';
import type { PluginDefinition } from './plugin';

/**
 * `.resolve [media types]`: fetches the manifest from the upstream (HEAD for
 * HEAD, GET for GET) with the client's `Accept` plus the listed media types,
 * and leaves it on the request context for later plugins and the route's
 * answer. Non-200 answers (404, 401 with its challenge) go back unchanged.
 * With the cache on, a manifest by digest is served from it, a tag resolved
 * within `.tag_ttl` is not asked again, and when the upstream fails (no
 * answer, 5xx, 429) the last resolution of the tag is served with
 * `Lifec-Cache: stale` (see docs/cache.md).
 */
export const resolvePlugin: PluginDefinition = {
  name: 'resolve',
  summary: 'fetch the manifest from the upstream and keep it for the plugins after it',
  routes: ['manifests'],
  producesManifest: true,
  create(call, deps) {
    const extraTypes = call.input.split(/[\s,]+/).filter((t) => t !== '');
    const manifests = new ManifestCache(deps.services.cache, deps.services.metrics.cacheEvents(), deps.logger);
    return async (req, res, next) => {
      const ctx = mirrorContext(res);
      const head = req.method === 'HEAD';
      // A digest the mirror produced (a teleported index) exists only here; the
      // upstream is asked for the manifest it was made from, so access is still checked there.
      const produced = ctx.referenceKind === 'digest' ? deps.services.teleport.produced.get(ctx.upstream.host, ctx.repository, ctx.reference ?? '') : undefined;
      const accept = mergeAccept(req.get('accept'), extraTypes);
      const asked = produced ? undefined : manifestRequest(ctx, accept, head);
      const cached = asked && (await manifests.fresh(asked));
      if (cached) {
        ctx.manifest = cached;
        return next();
      }
      let upstream: UpstreamResponse;
      try {
        upstream = await fetchManifest(ctx, req, accept, head, produced?.from);
      } catch (err) {
        const stale = asked && err instanceof UpstreamError ? await manifests.stale(asked, err.message) : undefined;
        if (!stale) throw err;
        ctx.manifest = stale;
        return next();
      }
      if (upstream.status !== 200) {
        // Stale-on-error: the upstream failed (5xx, 429), not "no such manifest" or "log in".
        const failed = upstream.status >= 500 || upstream.status === 429;
        const stale = asked && failed ? await manifests.stale(asked, `upstream answered ${upstream.status}`) : undefined;
        if (stale) {
          upstream.body.resume();
          ctx.manifest = stale;
          return next();
        }
        await relay(upstream, res, { head, clientPath: (path) => clientPath(ctx.selection, path) });
        return;
      }
      if (produced) upstream.body.resume();
      ctx.manifest = produced ? producedManifest(produced) : head ? describeHead(ctx, upstream) : await readManifest(ctx, upstream);
      if (asked) await manifests.remember(asked, ctx.manifest);
      next();
    };
  },
};

function manifestRequest(ctx: MirrorContext, accept: string, head: boolean): ManifestRequest {
  return {
    host: ctx.upstream.host,
    repository: ctx.repository,
    reference: ctx.reference ?? '',
    referenceKind: ctx.referenceKind ?? 'tag',
    accept,
    head,
    requestId: ctx.requestId,
  };
}

/** The client's `Accept` with the plugin's media types added (never removed). */
export function mergeAccept(clientAccept: string | undefined, extraTypes: readonly string[]): string {
  const accept = clientAccept?.trim() || DEFAULT_MANIFEST_ACCEPT;
  const present = new Set(accept.split(',').map((part) => part.split(';')[0]?.trim().toLowerCase()));
  const missing = extraTypes.filter((t) => !present.has(t.toLowerCase()));
  return missing.length === 0 ? accept : `${accept}, ${missing.join(', ')}`;
}

function fetchManifest(ctx: MirrorContext, req: Request, accept: string, head: boolean, reference = ctx.reference): Promise<UpstreamResponse> {
  const headers = forwardHeaders(req, ctx, []);
  headers.accept = accept;
  const path = `/v2/${ctx.repository}/manifests/${reference ?? ''}`;
  return ctx.client.send({ method: head ? 'HEAD' : 'GET', path, headers, signal: ctx.signal }, ctx.authorizer);
}

function describeHead(ctx: MirrorContext, upstream: UpstreamResponse): ResolvedManifest {
  // A HEAD answer has no body, but node:http hands its socket back to the
  // keep-alive pool only once the response was read to its end: unread, every
  // HEAD left one connection open and the next one dialled a new one.
  upstream.body.resume();
  // By digest, the only digest the client may be told is the one it asked for
  // (content addressability): a HEAD has no bytes to check the upstream's header against.
  const digest = ctx.referenceKind === 'digest' && ctx.reference ? ctx.reference : headerValue(upstream, Header.contentDigest);
  const length = Number(headerValue(upstream, 'content-length'));
  return {
    status: upstream.status,
    mediaType: headerValue(upstream, 'content-type'),
    digest,
    size: Number.isFinite(length) ? length : -1,
    headers: {},
  };
}

/**
 * Reads the manifest bytes. By digest, the bytes must hash to the digest asked
 * for (content addressability); by tag, the digest is the upstream's header
 * or, when it sent none, computed over the bytes as containerd would.
 */
async function readManifest(ctx: MirrorContext, upstream: UpstreamResponse): Promise<ResolvedManifest> {
  const body = await readLimited(upstream.body, MAX_MANIFEST_BYTES);
  let digest = headerValue(upstream, Header.contentDigest) || sha256Digest(body);
  if (ctx.referenceKind === 'digest' && ctx.reference) {
    if (!verifiesDigest(body, ctx.reference)) {
      throw new MirrorError(502, 'MANIFEST_INVALID', `upstream ${ctx.upstream.host} answered ${ctx.reference} with content of another digest`);
    }
    digest = ctx.reference;
  }
  return { status: 200, mediaType: headerValue(upstream, 'content-type'), digest, size: body.length, body, headers: {} };
}

function headerValue(upstream: UpstreamResponse, name: string): string {
  const value = upstream.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}
