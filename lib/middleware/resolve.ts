import { cacheKey } from '../cache/cache-key';
import { confirmRepository } from './confirm-repository';
import { mirrorContext, type MirrorContext } from './context';
import { type ResolvedManifest } from '../oci/resolved-manifest';
import { ManifestCache, STALE_HEADER, type ManifestRequest } from '../cache/manifest-cache';
import { UpstreamError } from '../errors';
import { relay } from '../http/relay';
import { clientPath } from '../upstream/select';
import { DEFAULT_MANIFEST_ACCEPT } from '../oci/mediatypes';
import { describeHead, manifestSender, readManifest } from './manifest-fetch';
import { rateLimitWatcher } from './rate-limit';
import { resolveTagByHead } from './resolve-tag';
import { producedManifest } from '../teleport/memory';
import type { UpstreamResponse } from '../upstream/exchange';
import type { PluginDefinition } from './plugin';

/**
 * `.resolve [media types]`: fetches the manifest from the upstream (HEAD for
 * HEAD, GET for GET) with the client's `Accept` plus the listed media types,
 * and leaves it on the request context for later plugins and the route's
 * answer. Non-200 answers (404, 401 with its challenge) go back unchanged.
 * With the cache on, a manifest by digest is served from it, a tag resolved
 * within `.tag_ttl` is not asked again, a GET by tag is asked as a HEAD and
 * then by digest only when the cache lacks those bytes (pull quotas count
 * GETs), and when the upstream fails (no answer, 5xx, 429) the last
 * resolution of the tag is served with `Lifec-Cache: stale` (see docs/cache.md).
 */
export const resolvePlugin: PluginDefinition = {
  name: 'resolve',
  summary: 'fetch the manifest from the upstream and keep it for the plugins after it',
  routes: ['manifests'],
  producesManifest: true,
  create(call, deps) {
    const extraTypes = call.input.split(/[\s,]+/).filter((t) => t !== '');
    const manifests = new ManifestCache(deps.services.cache, deps.services.metrics.cacheEvents(), deps.logger);
    const quota = rateLimitWatcher(deps);
    return async (req, res, next) => {
      const ctx = mirrorContext(res);
      const head = req.method === 'HEAD';
      // A digest the mirror produced (a teleported index) exists only here; the
      // upstream is asked for the manifest it was made from, so access is still checked there.
      const produced = ctx.referenceKind === 'digest' ? deps.services.teleport.produced.get(ctx.upstream.host, ctx.repository, ctx.reference ?? '') : undefined;
      const accept = mergeAccept(req.get('accept'), extraTypes);
      const asked = produced ? undefined : manifestRequest(ctx, accept, head);
      const cached = asked && !(head && ctx.headFromUpstream) && (await manifests.fresh(asked));
      const content = deps.services.cache.content;
      const key = ctx.referenceKind === 'digest' ? cacheKey(ctx.reference ?? '') : undefined;
      // By digest, the cache may hold what another repository brought in (by tag, the resolution is this repository's own).
      if (cached && content && key) await confirmRepository(req, ctx, content, key, 'manifests', cached.mediaType);
      if (cached) {
        ctx.servedFrom = 'cache';
        ctx.manifest = cached;
        return next();
      }
      const send = manifestSender(ctx, req, accept, (response) => quota(ctx, response));
      const byHead = !head && asked?.referenceKind === 'tag' && manifests.storesContent;
      let answer: ResolvedManifest | UpstreamResponse | undefined;
      try {
        answer = byHead && asked ? await resolveTagByHead(ctx.upstream.host, send, manifests, asked) : undefined;
        answer ??= await send(head ? 'HEAD' : 'GET', produced?.from ?? ctx.reference ?? '');
      } catch (err) {
        const stale = asked && err instanceof UpstreamError ? await manifests.stale(asked, err.message) : undefined;
        if (!stale) throw err;
        ctx.servedFrom = 'stale';
        ctx.manifest = stale;
        return next();
      }
      ctx.servedFrom = 'upstream';
      if (!isUpstreamResponse(answer)) {
        ctx.manifest = answer;
        // A stale resolution (the HEAD was rate limited) is served, not recorded:
        // recording it would make the tag fresh again without the upstream saying so.
        if (asked && answer.headers[STALE_HEADER] === undefined) await manifests.remember(asked, answer);
        return next();
      }
      const upstream = answer;
      if (upstream.status !== 200) {
        // Stale-on-error: the upstream failed (5xx, 429), not "no such manifest" or "log in".
        const failed = upstream.status >= 500 || upstream.status === 429;
        const stale = asked && failed ? await manifests.stale(asked, `upstream answered ${upstream.status}`) : undefined;
        if (stale) {
          upstream.body.resume();
          ctx.servedFrom = 'stale';
          ctx.manifest = stale;
          return next();
        }
        await relay(upstream, res, { head, clientPath: (path) => clientPath(ctx.selection, path) });
        return;
      }
      if (produced) upstream.body.resume();
      const digest = ctx.referenceKind === 'digest' ? ctx.reference : undefined;
      ctx.manifest = produced ? producedManifest(produced) : head ? describeHead(upstream, digest) : await readManifest(ctx.upstream.host, upstream, digest, ctx.signal);
      if (asked) await manifests.remember(asked, ctx.manifest);
      next();
    };
  },
};

/** An upstream answer still to read, as opposed to a manifest already in hand. */
function isUpstreamResponse(answer: ResolvedManifest | UpstreamResponse): answer is UpstreamResponse {
  return 'url' in answer;
}

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
