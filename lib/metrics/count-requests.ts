import type { RequestHandler } from 'express';
import type { MirrorMetrics } from './metrics';

/**
 * Counts every answered request once it is done. The route label is the
 * OCI route when the router bound one, else `admin` or `other`, so label
 * values stay few whatever paths clients send.
 */
export function countRequests(metrics: MirrorMetrics): RequestHandler {
  return (req, res, next) => {
    res.once('close', () => {
      const ctx = res.locals.mirror as typeof res.locals.mirror | undefined;
      const route = ctx?.route ?? (/^\/(metrics|healthz|readyz)$|^\/_lifec(\/|$)/.test(req.path) ? 'admin' : req.path.startsWith('/v2') ? 'v2' : 'other');
      const status = res.writableFinished ? String(res.statusCode) : 'aborted';
      metrics.requests.inc({ route, method: req.method, status });
    });
    next();
  };
}
