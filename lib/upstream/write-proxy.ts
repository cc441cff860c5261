import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Plugin } from 'http-proxy-middleware';
import { MirrorError, UpstreamError } from '../errors';
import type { Upstream } from './upstream';

/** What one write sends: the upstream path and the complete header set. */
export interface WriteRequest {
  /** Path and query on the upstream. */
  path: string;
  /** Every header sent upstream (the client's are not copied): the caller picks them. */
  headers: OutgoingHttpHeaders;
  /** Request bodies past this many bytes are cut off with a 413 (for bodies without `Content-Length`). */
  maxBytes?: number;
}

/** Forwards one write to the upstream; resolves with its answer, whose body the caller must consume. */
export type WriteProxy = (req: IncomingMessage, res: ServerResponse, write: WriteRequest) => Promise<IncomingMessage>;

interface Pending {
  write: WriteRequest;
  settle(error: Error | undefined, answer?: IncomingMessage): void;
}

/** Keep-alive pools for writes; http-proxy's default (no agent) closes every connection. */
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/**
 * A streaming reverse proxy to one upstream, for uploads, manifest PUTs and
 * DELETEs: http-proxy-middleware pipes the client's body to the upstream and
 * hands back the upstream's answer unread (`selfHandleResponse`), so neither
 * body is ever held in memory. It never follows a redirect (a body cannot be
 * sent twice) and copies none of the client's headers on its own.
 */
export function createWriteProxy(upstream: Upstream): WriteProxy {
  const pending = new WeakMap<IncomingMessage, Pending>();
  const wait = Math.max(upstream.timeouts.headers, upstream.timeouts.idle);
  const events: Plugin = (server) => {
    server.on('proxyReq', (proxyReq, req) => {
      boundWaits(proxyReq, upstream, wait);
      const limit = pending.get(req)?.write.maxBytes;
      if (limit !== undefined) limitBody(req, proxyReq, limit);
    });
    server.on('proxyRes', (answer, req) => {
      const waiting = pending.get(req);
      // The client left before the answer (its body was complete, so http-proxy did not abort):
      // read it anyway, or the keep-alive socket stays busy with it until a timeout.
      if (waiting) waiting.settle(undefined, answer);
      else answer.resume();
    });
    server.on('error', (err, req) => pending.get(req)?.settle(asUpstreamError(err, upstream)));
    server.on('econnreset', (err, req) => pending.get(req)?.settle(err));
  };
  // Loaded with the first write route: a mirror without `.push` never needs it (2 MB of an idle process).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createProxyMiddleware } = require('http-proxy-middleware') as typeof import('http-proxy-middleware');
  const proxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target: upstream.origin,
    changeOrigin: true,
    agent: agents[new URL(upstream.origin).protocol as keyof typeof agents],
    followRedirects: false,
    selfHandleResponse: true,
    xfwd: false,
    ejectPlugins: true,
    plugins: [events],
    pathRewrite: (_path, req) => pending.get(req)?.write.path,
  });
  return (req, res, write) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | undefined, answer?: IncomingMessage): void => {
        if (settled) return;
        settled = true;
        pending.delete(req);
        if (answer) resolve(answer);
        else reject(error ?? new UpstreamError(502, 'UNAVAILABLE', `upstream ${upstream.host} gave no answer`));
      };
      res.once('close', () => settle(Object.assign(new Error('client closed the request'), { name: 'AbortError' })));
      pending.set(req, { write, settle });
      const { url, headers } = req;
      // http-proxy builds the upstream request from req.url and req.headers, synchronously,
      // inside the middleware call: they hold the write's own values only for that call.
      req.headers = { ...(write.headers as typeof req.headers) };
      void proxy(req, res, (err?: unknown) => settle(err instanceof Error ? err : new Error(String(err)))).finally(() => {
        req.url = url;
        req.headers = headers;
      });
    });
}

/** The connect and answer waits of the read path (lib/upstream/send.ts), so a dead upstream becomes a 504. */
function boundWaits(proxyReq: http.ClientRequest, upstream: Upstream, wait: number): void {
  proxyReq.setTimeout(wait, () => proxyReq.destroy(new UpstreamError(504, 'UNAVAILABLE', `upstream ${upstream.host} stalled for ${wait} ms`)));
  const socket = proxyReq.socket;
  if (!socket?.connecting) return;
  const timer = setTimeout(
    () => proxyReq.destroy(new UpstreamError(504, 'UNAVAILABLE', `connecting to upstream ${upstream.host} timed out after ${upstream.timeouts.connect} ms`)),
    upstream.timeouts.connect,
  );
  socket.once('connect', () => clearTimeout(timer));
  socket.once('close', () => clearTimeout(timer));
}

/** Counts the body as it streams (no copy) and cuts the upstream request off past `limit`. */
function limitBody(req: IncomingMessage, proxyReq: http.ClientRequest, limit: number): void {
  let bytes = 0;
  const count = (chunk: Buffer): void => {
    bytes += chunk.length;
    if (bytes <= limit) return;
    req.off('data', count);
    req.unpipe(proxyReq);
    proxyReq.destroy(new MirrorError(413, 'SIZE_INVALID', `the body is larger than ${limit} bytes`));
  };
  req.on('data', count);
}

function asUpstreamError(err: Error, upstream: Upstream): Error {
  if (err instanceof MirrorError || err.name === 'AbortError') return err;
  const code = (err as NodeJS.ErrnoException).code ?? err.name;
  return new UpstreamError(502, 'UNAVAILABLE', `upstream ${upstream.host} is unreachable (${code})`, { cause: err });
}
