import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { MirrorError, UpstreamError } from '../errors';
import { answeredInstead } from './upstream-errors';
import type { UpstreamResponse } from '../upstream/exchange';

/**
 * Response headers the mirror passes from an upstream to its client. An
 * allow-list: hop-by-hop headers, cookies and redirect targets stay behind.
 */
const RELAYED_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'docker-content-digest',
  'docker-distribution-api-version',
  'etag',
  'last-modified',
  'link',
  'www-authenticate',
  'retry-after',
  'oci-filters-applied',
];

/** Maps an upstream path (`/v2/…?…`) to the path the client follows through the mirror. */
export type ClientPath = (upstreamPath: string) => string;

/** Copies the relayed headers of an upstream answer onto `res`; `Link` targets go through `clientPath`. */
export function copyUpstreamHeaders(upstream: UpstreamResponse, res: Response, clientPath?: ClientPath): void {
  for (const name of RELAYED_HEADERS) {
    const value = upstream.headers[name];
    if (value === undefined) continue;
    res.setHeader(name, name === 'link' && clientPath ? rewriteLink(value, clientPath, upstream.url) : value);
  }
}

/**
 * Streams an upstream answer to the client unchanged: status, relayed headers
 * and body (error answers that are not OCI JSON excepted: upstream-errors.ts).
 * `pipeline` honours backpressure and, when either side fails, destroys the
 * other: a client that goes away aborts the upstream read, and a
 * broken upstream aborts the client's response instead of ending it as if complete.
 */
export async function relay(upstream: UpstreamResponse, res: Response, options: { head: boolean; clientPath?: ClientPath }): Promise<void> {
  if (answeredInstead(upstream, res, options.head)) return;
  res.status(upstream.status);
  copyUpstreamHeaders(upstream, res, options.clientPath);
  if (options.head) {
    upstream.body.resume();
    res.end();
    return;
  }
  try {
    await pipeline(upstream.body, res);
  } catch (err) {
    throw brokenUpstream(upstream, err);
  }
}

/**
 * An upstream whose body broke off (reset, closed early) is a bad gateway,
 * not a fault of the mirror: the error says 502 even when the client, who
 * already has the headers, can only be cut. A client that left (a premature
 * close, the request's abort) stays as it is.
 */
function brokenUpstream(upstream: UpstreamResponse, err: unknown): unknown {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  if (err instanceof MirrorError || name === 'AbortError' || code === 'ERR_STREAM_PREMATURE_CLOSE' || upstream.body.errored !== err) return err;
  return new UpstreamError(502, 'UNAVAILABLE', 'the upstream broke off its answer before the end', { cause: err });
}

/**
 * A `Link: </v2/…?last=x>; rel="next"` from the upstream is relative to the
 * registry; a client following it through the mirror must keep the way it
 * named the registry (its `ns`, or the registry in the path). Some registries
 * (Quay) write the target as an absolute URL on their own origin (RFC 8288
 * allows either): it is made a mirror path too, or the client's next page
 * would bypass the mirror and go to the upstream itself.
 */
function rewriteLink(link: string | string[], clientPath: ClientPath, answeredBy: string): string | string[] {
  const base = parseUrl(answeredBy) ?? new URL('http://upstream.invalid');
  const rewrite = (value: string): string =>
    value.replace(/<([^>]*)>/g, (match, target: string) => {
      const url = parseUrl(target, base);
      if (!url || url.origin !== base.origin || !url.pathname.startsWith('/v2/')) return match;
      return `<${clientPath(`${url.pathname}${url.search}`)}>`;
    });
  return Array.isArray(link) ? link.map(rewrite) : rewrite(link);
}

function parseUrl(text: string, base?: URL): URL | undefined {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}
