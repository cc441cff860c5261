import type { RequestHandler } from 'express';
import { MirrorError } from '../errors';

/**
 * The last handler of the mirror: a path it does not serve, with any method,
 * gets 404 and an OCI error body (distribution-spec, "Error Codes") instead of
 * Express's HTML page, so every answer a client can get is OCI JSON.
 */
export const notServed: RequestHandler = (req) => {
  throw new MirrorError(404, 'UNSUPPORTED', 'this mirror does not serve that path', { detail: { method: req.method } });
};

/** A path the mirror serves, asked with a method it does not: 405 with `Allow` (RFC 9110 §15.5.6). */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  const allow = allowed.join(', ');
  return (req) => {
    throw new MirrorError(405, 'UNSUPPORTED', `${req.method} is not served on this path`, { headers: { Allow: allow } });
  };
}
