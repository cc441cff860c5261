import type { Request, RequestHandler } from 'express';
import { MirrorError } from '../errors';
import { isLoopbackAddress, isLoopbackHost } from './auth-endpoint';

/**
 * Lets through only requests from this machine, addressed to it by a
 * loopback name, and (when a browser says where the request comes from) sent
 * by a loopback page: the admin pages show the mirror's state and start work,
 * so another host, a page whose DNS name was rebound to 127.0.0.1 (its Host
 * header keeps the name) or another site's form posting to localhost (its
 * `Origin` names that site) get 403.
 */
export function loopbackOnly(what: string): RequestHandler {
  return (req, _res, next) => {
    const refusal = refuse(req);
    if (refusal) throw new MirrorError(403, 'DENIED', `${what} ${refusal}`);
    next();
  };
}

/** Why `req` may not use an admin endpoint, or `undefined` when it may. */
export function refuse(req: Pick<Request, 'headers' | 'socket'>): string | undefined {
  if (!isLoopbackAddress(req.socket.remoteAddress ?? '')) return 'serves loopback clients only';
  if (!isLoopbackHost(req.headers.host)) return 'answers only requests addressed to localhost or a loopback address';
  const origin = req.headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin)) return 'does not answer requests sent by another site';
  return undefined;
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.host);
  } catch {
    return false;
  }
}
