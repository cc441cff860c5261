import type { RequestHandler } from 'express';
import { MirrorError } from '../errors';

/** Path segments after which the next segment is a reference, not part of a repository name. */
const REFERENCE_ROUTES = new Set(['manifests', 'blobs', 'referrers']);

/**
 * Refuses a path with a malformed percent-escape (`%zz`, a lone `%`, or
 * escapes that decode to invalid UTF-8 such as `%87%2D%19`) before any route
 * sees it. Express would otherwise fail while decoding the route parameter
 * and answer 500: the mistake is the client's, so it is a 400 with the code
 * of the part that is wrong (distribution-spec error codes), and it never
 * reaches an upstream.
 */
export const refuseMalformedEscapes: RequestHandler = (req, _res, next) => {
  const error = malformedPathError(req.originalUrl.split('?', 1)[0] ?? '');
  if (error) throw error;
  next();
};

/**
 * The error a path with a malformed percent-escape deserves, or undefined
 * when every segment decodes. The segment after `manifests`, `blobs` or
 * `referrers` at the end of the path is the reference (`TAG_INVALID`, or
 * `DIGEST_INVALID` for blobs, referrers and references with a `:`); any
 * other segment belongs to the repository name (`NAME_INVALID`).
 */
export function malformedPathError(rawPath: string): MirrorError | undefined {
  const segments = rawPath.split('/');
  const bad = segments.findIndex((segment) => !decodes(segment));
  if (bad < 0) return undefined;
  const segment = segments[bad] ?? '';
  const detail = { segment: segment.length > 300 ? `${segment.slice(0, 300)}…` : segment };
  const route = segments[bad - 1];
  if (bad === segments.length - 1 && route !== undefined && REFERENCE_ROUTES.has(route)) {
    if (route === 'manifests' && !/:|%3a/i.test(segment)) return new MirrorError(400, 'TAG_INVALID', 'the tag has a malformed percent-escape', { detail });
    return new MirrorError(400, 'DIGEST_INVALID', 'the digest has a malformed percent-escape', { detail });
  }
  return new MirrorError(400, 'NAME_INVALID', 'the repository name has a malformed percent-escape', { detail });
}

function decodes(segment: string): boolean {
  if (!segment.includes('%')) return true;
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}
