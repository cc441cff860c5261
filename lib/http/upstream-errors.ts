import type { Response } from 'express';
import { ociErrorBody, type OciErrorCode } from '../errors';
import type { UpstreamResponse } from '../upstream/exchange';

/** The 5xx statuses a gateway answers itself (RFC 9110 §15.6): passed on as they are. */
const GATEWAY_STATUSES = new Set([502, 503, 504]);

/** OCI codes for an upstream 4xx that came without an OCI body. */
const CODES: Readonly<Record<number, OciErrorCode>> = { 401: 'UNAUTHORIZED', 403: 'DENIED', 404: 'NAME_UNKNOWN', 416: 'SIZE_INVALID', 429: 'TOOMANYREQUESTS' };

/** Response headers kept when the mirror rewrites an upstream's error answer: what a client acts on. */
const KEPT_HEADERS = ['www-authenticate', 'retry-after', 'content-range', 'docker-distribution-api-version'];

/**
 * Answers in place of an upstream error the client should not get as it is,
 * and says whether it did:
 * - the upstream's own failure (500, 501, 505, …; Distribution answers 500
 *   for a blob asked for as a manifest) is not the mirror's: 502 Bad Gateway
 *   with an OCI error naming the upstream's status, so a 500 from the mirror
 *   always means a fault of the mirror itself;
 * - a 4xx whose body is not JSON (Distribution's `416` from Go's file server,
 *   a proxy's HTML page) keeps its status and the headers a client acts on,
 *   with an OCI error body instead, so every error answer is OCI JSON.
 */
export function answeredInstead(upstream: UpstreamResponse, res: Response, head: boolean): boolean {
  const { status } = upstream;
  const failed = status >= 500 && !GATEWAY_STATUSES.has(status);
  const bareClientError = status >= 400 && status < 500 && !isJson(upstream.headers['content-type']);
  if (!failed && !bareClientError) return false;
  upstream.body.resume();
  res.status(failed ? 502 : status);
  for (const name of KEPT_HEADERS) {
    const value = upstream.headers[name];
    if (value !== undefined && !failed) res.setHeader(name, value);
  }
  const code = failed ? 'UNAVAILABLE' : (CODES[status] ?? 'UNSUPPORTED');
  const body = ociErrorBody(code, `the upstream answered ${status}`, { upstreamStatus: status });
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(head ? undefined : body);
  return true;
}

function isJson(contentType: string | undefined): boolean {
  return /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i.test(contentType ?? '');
}
