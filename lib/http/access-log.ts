import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { wasCut } from '../errors';

/**
 * One structured line per request once it is done: method, path, ns, the
 * upstream registry chosen and the request shape that chose it, the status
 * the client received, bytes, duration, and how an unfinished answer ended:
 * `cut` when the mirror destroyed it after its headers (an upstream broke
 * mid-body), `aborted` when the client went away. A client that got no
 * status line at all is logged as 499 (nginx's "client closed request").
 * The upstream is what shows that a client which falls back silently
 * (podman) was served by the mirror, and for which registry.
 */
export function accessLog(logger: Logger, clock: Clock): RequestHandler {
  return (req, res, next) => {
    const started = clock.now();
    const written = req.socket.bytesWritten;
    res.once('close', () => {
      const ctx = res.locals.mirror as typeof res.locals.mirror | undefined;
      const finished = res.writableFinished;
      const cut = !finished && wasCut(res);
      logger.info(
        {
          reqId: ctx?.requestId,
          method: req.method,
          path: req.path,
          ns: typeof req.query.ns === 'string' ? req.query.ns : undefined,
          upstream: ctx?.upstream.host,
          shape: ctx?.selection.shape,
          status: res.headersSent ? res.statusCode : 499,
          bytes: req.socket.bytesWritten - written,
          ms: clock.now() - started,
          cut: cut || undefined,
          aborted: finished || cut ? undefined : true,
        },
        'request',
      );
    });
    next();
  };
}
