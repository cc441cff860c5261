import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Logger } from 'pino';
import { loadTls, plainHttpWarning, reloadOnChange } from './http/tls-files';
import { answerClientError } from './http/client-error';
import { raiseMallocTrimThreshold } from './malloc-threshold';
import type { MirrorRouter } from './mirror';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses a `.proxy` address (`localhost:8578`, `127.0.0.1:0`, `[::1]:8578`).
 * `localhost` binds 127.0.0.1: containerd's `http://localhost:…` dials that
 * first, and a name that resolves to ::1 only would miss it.
 */
export function parseListenAddress(address: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new Error(`"${address}" is not a host:port address`);
  const host = match[1] ?? match[2] ?? '';
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

export interface RunningServer {
  server: http.Server;
  /** The bound address (with the real port when 0 was asked for). */
  address: ListenAddress;
  url: string;
  /** Stops accepting, lets in-flight requests finish until `deadlineMs`, then cuts the rest. */
  close(deadlineMs?: number): Promise<void>;
}

/**
 * Serves a mirror router on its `.proxy` address (or `address`): HTTPS with
 * the `.tls` files (reloaded when they change), else plain HTTP, with one
 * warning when that address is not loopback.
 */
export async function startServer(mirror: MirrorRouter, logger: Logger, address?: ListenAddress): Promise<RunningServer> {
  const target = address ?? parseListenAddress(mirror.config.proxy?.address ?? 'localhost:8578');
  raiseMallocTrimThreshold();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(mirror);
  const server = mirror.tls ? https.createServer(loadTls(mirror.tls), app) : http.createServer(app);
  server.on('clientError', answerClientError);
  // Slow clients hold connections open; the mirror's own upstream timeouts bound the rest.
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0;
  // Past the limit Node refuses new connections; containerd treats that as "try the next host".
  server.maxConnections = mirror.services.resilience.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(target.port, target.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Without a listener an accept error (EMFILE under load) would crash the process; Node keeps accepting after it.
  server.on('error', (error: Error) => logger.error({ err: error.message }, 'mirror: server error'));
  const bound = server.address() as AddressInfo;
  const listen = { host: bound.address, port: bound.port };
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const scheme = mirror.tls ? 'https' : 'http';
  logger.info({ address: `${host}:${listen.port}`, scheme }, 'mirror listening');
  const warning = mirror.tls ? undefined : plainHttpWarning(listen.host);
  if (warning) logger.warn(warning);
  // Warm jobs read through the mirror's own address; those started by `.warm` steps wait for it.
  mirror.services.warm.listening(`${scheme}://${host}:${listen.port}`);
  const stopReloading = mirror.tls && server instanceof https.Server ? reloadOnChange(mirror.tls, server, logger) : () => undefined;
  const close = (deadline?: number): Promise<void> => (stopReloading(), closeGracefully(server, mirror, deadline));
  return { server, address: listen, url: `${scheme}://${host}:${listen.port}`, close };
}

async function closeGracefully(server: http.Server, mirror: MirrorRouter, deadlineMs = 10_000): Promise<void> {
  // A warm job's own requests would hold the drain open: it stops first (what it cached stays).
  await mirror.services.warm.close();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections whose last request ends while draining become idle
  // after close() looked; sweep them so the drain ends with the last download.
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
  server.closeIdleConnections();
  await closed;
  clearInterval(sweep);
  clearTimeout(deadline);
  await mirror.close();
}
