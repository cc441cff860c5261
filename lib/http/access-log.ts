import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { wasCut } from '../errors';

/** Where an answer's bytes came from: the cache, a download in progress, the upstream, or a stale tag resolution. */
export type ServedFrom = 'cache' | 'download' | 'upstream' | 'stale';

/** One finished request, as the access log line and the status page's list show it. */
export interface AccessRecord {
  /** Clock milliseconds when the request arrived. */
  time: number;
  reqId?: string;
  method: string;
  /** The path without its query (a query may carry a signed secret). */
  path: string;
  /** The registry (`ns`) the request was bound to, once the router validated it. */
  registry?: string;
  repository?: string;
  reference?: string;
  status: number;
  bytes: number;
  ms: number;
  source?: ServedFrom;
  /** The mirror destroyed the answer after its headers (an upstream broke mid-body). */
  cut?: true;
  /** The client went away before the answer was complete. */
  aborted?: true;
}

/**
 * One structured line per request once it is done: method, path, ns, the
 * upstream registry chosen and the request shape that chose it, the status
 * the client received, bytes, duration, and how an unfinished answer ended:
 * `cut` when the mirror destroyed it after its headers (an upstream broke
 * mid-body), `aborted` when the client went away. A client that got no
 * status line at all is logged as 499 (nginx's "client closed request").
 * The upstream is what shows that a client which falls back silently
 * (podman) was served by the mirror, and for which registry.
 * `record` hears of every finished request too (the status page's recent requests).
 */
export function accessLog(logger: Logger, clock: Clock, record?: (entry: AccessRecord) => void): RequestHandler {
  return (req, res, next) => {
    const started = clock.now();
    const written = req.socket.bytesWritten;
    res.once('close', () => {
      const ctx = res.locals.mirror as typeof res.locals.mirror | undefined;
      const finished = res.writableFinished;
      const cut = !finished && wasCut(res);
      const entry: AccessRecord = {
        time: started,
        reqId: ctx?.requestId,
        method: req.method,
        path: req.path,
        registry: ctx?.upstream.host,
        repository: ctx?.repository,
        reference: ctx?.reference,
        status: res.headersSent ? res.statusCode : 499,
        bytes: req.socket.bytesWritten - written,
        ms: clock.now() - started,
        source: ctx?.servedFrom,
        cut: cut || undefined,
        aborted: finished || cut ? undefined : true,
      };
      logger.info(
        {
          reqId: entry.reqId,
          method: entry.method,
          path: entry.path,
          ns: typeof req.query.ns === 'string' ? req.query.ns : undefined,
          upstream: entry.registry,
          shape: ctx?.selection.shape,
          status: entry.status,
          bytes: entry.bytes,
          ms: entry.ms,
          cut: entry.cut,
          aborted: entry.aborted,
        },
        'request',
      );
      record?.(entry);
    });
    next();
  };
}
