import http from 'node:http';
import https from 'node:https';
import { UpstreamError } from '../errors';
import type { UpstreamResponse } from './exchange';
import type { UpstreamTimeouts } from './upstream';

export interface SendOptions {
  url: URL;
  method: string;
  headers: Record<string, string>;
  agent: http.Agent;
  signal?: AbortSignal;
  timeouts: UpstreamTimeouts;
}

/**
 * One HTTP exchange with bounded waits: connect, response headers, and the
 * idle time between body chunks. A timeout or a transport error becomes an
 * `UpstreamError` (502/504) so containerd falls back to its next host.
 */
export function sendOnce(options: SendOptions): Promise<UpstreamResponse> {
  const { url, method, headers, agent, signal, timeouts } = options;
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, { method, headers, agent, signal });
    const fail = (error: UpstreamError): void => {
      request.destroy(error);
    };
    const headersTimer = setTimeout(
      () => fail(new UpstreamError(504, 'UNAVAILABLE', `upstream ${url.host} did not answer within ${timeouts.headers} ms`)),
      timeouts.headers,
    );
    request.once('socket', (socket) => {
      // A reused keep-alive socket is already connected.
      if (!socket.connecting) return;
      const connectTimer = setTimeout(
        () => fail(new UpstreamError(504, 'UNAVAILABLE', `connecting to upstream ${url.host} timed out after ${timeouts.connect} ms`)),
        timeouts.connect,
      );
      socket.once('connect', () => clearTimeout(connectTimer));
      socket.once('close', () => clearTimeout(connectTimer));
    });
    request.once('response', (response) => {
      clearTimeout(headersTimer);
      response.setTimeout(timeouts.idle, () => {
        response.destroy(new UpstreamError(504, 'UNAVAILABLE', `upstream ${url.host} stalled for ${timeouts.idle} ms`));
      });
      resolve({ status: response.statusCode ?? 502, headers: response.headers, body: response, url: url.href });
    });
    request.once('error', (error) => {
      clearTimeout(headersTimer);
      reject(asUpstreamError(error, url));
    });
    request.end();
  });
}

/** OpenSSL's verification failures as Node reports them (`CERT_HAS_EXPIRED`, `SELF_SIGNED_CERT_IN_CHAIN`, …). */
const CERTIFICATE_ERRORS = /CERT|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID/;

function asUpstreamError(error: Error, url: URL): Error {
  if (error instanceof UpstreamError) return error;
  if (error.name === 'AbortError') return error;
  const code = (error as NodeJS.ErrnoException).code ?? error.name;
  if (CERTIFICATE_ERRORS.test(code)) {
    const reason = `the TLS certificate of ${url.host} does not verify (${code}): trust its CA with ": .ca <file>" under its .mirror or .endpoint`;
    return new UpstreamError(502, 'UNAVAILABLE', reason, { cause: error });
  }
  return new UpstreamError(502, 'UNAVAILABLE', `upstream ${url.host} is unreachable (${code})`, { cause: error });
}
