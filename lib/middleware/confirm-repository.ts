import type { Request } from 'express';
import type { ContentCache } from '../cache/content-cache';
import { digestOf } from '../cache/cache-key';
import { MirrorError, UpstreamError } from '../errors';
import { DEFAULT_MANIFEST_ACCEPT } from '../oci/mediatypes';
import type { MirrorContext } from './context';
import { forwardHeaders } from './forward';

/**
 * Lets the cache answer for cached content `key` under the request's
 * repository only when the upstream confirmed that this repository holds it
 * (docs/cache.md, "Repository boundaries"): confirmed before (it was pulled
 * or confirmed under this repository), or now, by a HEAD under this
 * repository with this request's credentials. Throws what the upstream
 * answered otherwise (404, 401 with its challenge, 403, …); an unreachable
 * upstream throws its `UpstreamError`, so nothing unconfirmed is served
 * while it is down. With `.cache_scope registry` every repository may read.
 */
export async function confirmRepository(req: Request, ctx: MirrorContext, content: ContentCache, key: string, route: 'blobs' | 'manifests', mediaType?: string): Promise<void> {
  const scopes = content.scopes;
  const host = ctx.upstream.host;
  if (!scopes || (await scopes.has(host, ctx.repository, key))) return;
  const headers = forwardHeaders(req, ctx, []);
  // Distribution answers 404 for an OCI manifest that `Accept` does not list.
  if (route === 'manifests') headers.accept = mediaType ? `${mediaType}, ${DEFAULT_MANIFEST_ACCEPT}` : DEFAULT_MANIFEST_ACCEPT;
  const path = `/v2/${ctx.repository}/${route}/${digestOf(key)}`;
  const answer = await ctx.client.send({ method: 'HEAD', path, headers, signal: ctx.signal }, ctx.authorizer);
  answer.body.resume();
  if (answer.status === 200) return scopes.add(host, ctx.repository, key);
  throw refusal(answer.status, route, ctx, header(answer.headers['www-authenticate']), header(answer.headers['retry-after']));
}

function refusal(status: number, route: 'blobs' | 'manifests', ctx: MirrorContext, challenge?: string, retryAfter?: string): MirrorError {
  const name = `${ctx.repository}@${ctx.reference ?? ''}`;
  if (status === 404) return new MirrorError(404, route === 'blobs' ? 'BLOB_UNKNOWN' : 'MANIFEST_UNKNOWN', `${name} is not known to the upstream`);
  if (status === 401) {
    return new MirrorError(401, 'UNAUTHORIZED', `authentication required for ${ctx.repository}`, { headers: challenge ? { 'WWW-Authenticate': challenge } : {} });
  }
  if (status === 403) return new MirrorError(403, 'DENIED', `access to ${ctx.repository} denied by the upstream`);
  if (status === 429) return new MirrorError(429, 'TOOMANYREQUESTS', 'the upstream asks to slow down', { headers: retryAfter ? { 'Retry-After': retryAfter } : {} });
  return new UpstreamError(502, 'UNAVAILABLE', `upstream ${ctx.upstream.host} answered ${status} when asked whether ${ctx.repository} holds ${ctx.reference ?? ''}`);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
