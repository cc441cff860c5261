import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Clock } from '../clock';

/**
 * One structured line per request once it is done: method, path, ns, the
 * upstream registry chosen and the request shape that chose it, status,
 * bytes, duration, and whether the client went away early. The upstream is
 * what shows that a client which falls back silently (podman) was served by
 * the mirror, and for which registry.
 */
export function accessLog(logger: Logger, clock: Clock): RequestHandler {
  return (req, res, next) => {
    const started = clock.now();
    const written = req.socket.bytesWritten;
    res.once('close', () => {
      const ctx = res.locals.mirror as typeof res.locals.mirror | undefined;
      logger.info(
        {
          reqId: ctx?.requestId,
          method: req.method,
          path: req.path,
          ns: typeof req.query.ns === 'string' ? req.query.ns : undefined,
          upstream: ctx?.upstream.host,
          shape: ctx?.selection.shape,
          status: res.statusCode,
          bytes: req.socket.bytesWritten - written,
          ms: clock.now() - started,
          aborted: res.writableFinished ? undefined : true,
        },
        'request',
      );
    });
    next();
  };
}
