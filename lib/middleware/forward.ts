import type { Request } from 'express';
import type { MirrorContext } from './context';
import { Header } from '../oci/mediatypes';

/**
 * Request headers for the upstream: the named client headers, the request id,
 * and the client's own `Authorization` when no `.authn` plugin authenticates
 * for it (so containerd can answer the upstream's challenge itself through
 * the mirror; the header only ever goes to the upstream that `ns` named).
 */
export function forwardHeaders(req: Request, ctx: MirrorContext, names: readonly string[]): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = { [Header.requestId]: ctx.requestId };
  for (const name of names) headers[name] = req.get(name);
  if (!ctx.authorizer) headers.authorization = req.get('authorization');
  return headers;
}

/** Path and query for the upstream: the client's query minus the mirror's own `ns`. */
export function upstreamPath(path: string, req: Request): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(req.query)) {
    if (name === 'ns') continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === 'string') query.append(name, item);
    }
  }
  const search = query.toString();
  return search ? `${path}?${search}` : path;
}
