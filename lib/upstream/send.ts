import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { UpstreamError } from '../errors';
import { enforceMinRate } from './body-guard';
import type { UpstreamResponse } from './exchange';
import type { TargetGuard } from './redirect-policy';
import type { UpstreamTimeouts } from './upstream';

export interface SendOptions {
  url: URL;
  method: string;
  headers: Record<string, string>;
  agent: http.Agent;
  signal?: AbortSignal;
  timeouts: UpstreamTimeouts;
  /** Set for a redirect hop away from the upstream: where it may connect. */
  guard?: TargetGuard;
  /** The body is streamed on (a blob, a listing): it must keep `timeouts.minRate`. */
  streamed?: boolean;
  /** The body stalled or trickled (the upstream failed after its headers). */
  onBodyFailure?: (error: UpstreamError) => void;
}

/**
 * One HTTP exchange with bounded waits: connect, response headers, the idle
 * time between body chunks and, for a streamed body, a minimum rate. A
 * timeout or a transport error becomes an `UpstreamError` (502/504) so
 * containerd falls back to its next host.
 */
export function sendOnce(options: SendOptions): Promise<UpstreamResponse> {
  const { url, method, headers, agent, signal, timeouts, guard } = options;
  return new Promise((resolve, reject) => {
    // An address in the URL is connected to without a lookup: judge it here.
    if (guard && net.isIP(url.hostname.replace(/^\[|\]$/g, ''))) {
      try {
        guard.check(url.hostname, url.host);
      } catch (refusal) {
        return reject(refusal as Error);
      }
    }
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, { method, headers, agent, signal, ...(guard ? { lookup: guard.lookup } : {}) });
    const fail = (error: Error): void => {
      request.destroy(error);
    };
    const headersTimer = setTimeout(
      () => fail(new UpstreamError(504, 'UNAVAILABLE', `upstream ${url.host} did not answer within ${timeouts.headers} ms`)),
      timeouts.headers,
    );
    request.once('socket', (socket) => {
      // A reused keep-alive socket is already connected: its peer is judged as a lookup's answer would be.
      if (!socket.connecting) {
        try {
          guard?.check(socket.remoteAddress ?? '', url.host);
        } catch (refusal) {
          fail(refusal as Error);
        }
        return;
      }
      const connectTimer = setTimeout(
        () => fail(new UpstreamError(504, 'UNAVAILABLE', `connecting to upstream ${url.host} timed out after ${timeouts.connect} ms`)),
        timeouts.connect,
      );
      socket.once('connect', () => clearTimeout(connectTimer));
      socket.once('close', () => clearTimeout(connectTimer));
    });
    request.once('response', (response) => {
      clearTimeout(headersTimer);
      const onBodyFailure = options.onBodyFailure ?? (() => undefined);
      response.setTimeout(timeouts.idle, () => {
        const error = new UpstreamError(504, 'UNAVAILABLE', `upstream ${url.host} stalled for ${timeouts.idle} ms`);
        onBodyFailure(error);
        response.destroy(error);
      });
      if (options.streamed && method !== 'HEAD') enforceMinRate(response, timeouts.minRate, url.host, onBodyFailure);
      resolve({ status: response.statusCode ?? 502, headers: response.headers, body: response, url: url.href, address: response.socket?.remoteAddress });
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
