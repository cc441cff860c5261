import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { writeScopes } from '../auth/scope';
import type { TagCache } from '../cache/tag-cache';
import { mirrorContext, type MirrorContext } from './context';
import { MirrorError, UpstreamError } from '../errors';
import { Header, MAX_MANIFEST_BYTES } from '../oci/mediatypes';
import { isWrite } from '../oci/routes';
import { RunmdError } from '../runmd/errors';
import type { AuthorizedRequest } from '../upstream/exchange';
import { createWriteProxy } from '../upstream/write-proxy';
import type { PluginDefinition } from './plugin';
import { mirrorLocation } from './push-location';
import { writeHeaders } from './push-headers';
import { mountSource, upstreamQuery } from './upload-params';

/**
 * `.push`: answers the write methods of its route (blob uploads, manifest
 * PUT, DELETE) by streaming them to the upstream `ns` selects, with a token
 * of the scope each one needs; reads pass on to the plugins after it. See
 * docs/push.md.
 */
export const pushPlugin: PluginDefinition = {
  name: 'push',
  summary: 'stream uploads, manifest PUTs and DELETEs to the upstream with the mirror credentials',
  routes: ['manifests', 'blobs', 'uploads'],
  writes: 'answers',
  create(call, deps) {
    if (call.input.trim() !== '') throw new RunmdError(call.inputPos, `.push takes no input, found "${call.input}"`);
    const proxies = new Map(deps.upstreams.all.map((u) => [u.host, createWriteProxy(u)]));
    const challengeState = { challenges: deps.services.auth.challenges, open: new Set<string>() };
    const tags = deps.services.cache.tags;
    return async (req, res, next) => {
      const ctx = mirrorContext(res);
      if (!isWrite(ctx.route, req.method)) return next();
      const proxy = proxies.get(ctx.upstream.host);
      if (!proxy) throw new Error(`no write proxy for ${ctx.upstream.host}`);
      const manifest = ctx.route === 'manifests' && req.method === 'PUT';
      if (manifest) await checkManifestLength(req);
      const from = mountSource(req, ctx.selection);
      const path = `${upstreamPathOf(ctx)}${upstreamQuery(req.originalUrl, from)}`;
      const auth: AuthorizedRequest = { method: req.method, path, scopes: writeScopes(req.method, ctx.repository, from), write: true, signal: ctx.signal };
      const headers = await writeHeaders(req, ctx, auth, challengeState);
      const answer = await proxy(req, res, { path, headers, maxBytes: manifest ? MAX_MANIFEST_BYTES : undefined });
      await answerWrite(answer, req, res, ctx, auth, tags);
    };
  },
};

/** The path on the upstream, from the validated repository and reference (not from how the client addressed the mirror). */
function upstreamPathOf(ctx: MirrorContext): string {
  const reference = ctx.reference ?? '';
  return ctx.route === 'uploads' ? `/v2/${ctx.repository}/blobs/uploads/${reference}` : `/v2/${ctx.repository}/${ctx.route}/${reference}`;
}

/** A refused body up to this size is read and dropped first, so a client still writing it reads the 413 instead of EPIPE. */
const DRAIN_LIMIT = 4 * MAX_MANIFEST_BYTES;
/** The longest a refused body is read before the answer goes out anyway. */
const DRAIN_MS = 10_000;

/**
 * The spec asks registries to take manifests of at least 4 MiB; the mirror
 * takes exactly that much. A larger declared body is refused before the
 * registry is asked; one of moderate size is read to its end first, because
 * Node closes a connection whose request is unread when the answer ends, and
 * a client still writing then sees a reset instead of the 413.
 */
async function checkManifestLength(req: Request): Promise<void> {
  const length = Number(req.get('content-length') ?? 0);
  if (length <= MAX_MANIFEST_BYTES) return;
  if (length <= DRAIN_LIMIT) await drain(req);
  throw new MirrorError(413, 'SIZE_INVALID', `manifests larger than ${MAX_MANIFEST_BYTES} bytes are not accepted`, { detail: { size: length } });
}

function drain(req: Request): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, DRAIN_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    req.once('end', done).once('close', done).once('error', done);
    req.resume();
  });
}

/** Upstream answer headers a write relays (distribution-spec, "Pushing blobs" and "Pushing manifests"). */
const RELAYED = ['content-type', 'content-length', 'range', Header.uploadUuid, Header.contentDigest, Header.subject, Header.chunkMinLength, 'docker-distribution-api-version', 'retry-after'];

async function answerWrite(answer: IncomingMessage, req: Request, res: Response, ctx: MirrorContext, auth: AuthorizedRequest, tags: TagCache): Promise<void> {
  const status = answer.statusCode ?? 502;
  const requestUrl = new URL(auth.path, ctx.upstream.origin);
  if (status === 401 && ctx.authorizer) {
    answer.resume();
    // The body is gone and cannot be sent again: drop the token, let the client retry the write.
    await ctx.authorizer.onUnauthorized(auth, { status, headers: answer.headers, body: answer, url: requestUrl.href });
    throw new MirrorError(401, 'UNAUTHORIZED', `${ctx.upstream.host} refused the mirror's token for this write; it was dropped, retry the request`);
  }
  const location = answer.headers.location;
  const rewritten = location === undefined ? undefined : mirrorLocation(location, requestUrl, req.baseUrl, ctx.selection);
  if (location !== undefined && rewritten === undefined) {
    answer.resume();
    throw new UpstreamError(502, 'UNAVAILABLE', `upstream ${ctx.upstream.host} answered a ${req.method} with a Location off its own API; the mirror forwards writes to the registry only`);
  }
  if (status < 300) forgetTags(req, ctx, tags);
  res.status(status);
  for (const name of RELAYED) {
    const value = answer.headers[name];
    if (value !== undefined) res.setHeader(name, value);
  }
  if (!ctx.authorizer && answer.headers[Header.wwwAuthenticate]) res.setHeader(Header.wwwAuthenticate, answer.headers[Header.wwwAuthenticate]!);
  if (rewritten !== undefined) res.setHeader('location', rewritten);
  await pipeline(answer, res);
}

/** A tag pushed or deleted through the mirror resolves anew on the next pull. */
function forgetTags(req: Request, ctx: MirrorContext, tags: TagCache): void {
  if (ctx.route !== 'manifests' || !ctx.reference) return;
  if (ctx.referenceKind === 'tag') tags.forgetTag(ctx.upstream.host, ctx.repository, ctx.reference);
  else if (req.method === 'DELETE') tags.forgetDigest(ctx.upstream.host, ctx.repository, ctx.reference);
}
