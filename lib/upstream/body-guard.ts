import type http from 'node:http';
import type { Readable } from 'node:stream';
import { UpstreamError } from '../errors';

/** The least an upstream must send while a reader waits for it. */
export interface MinRate {
  /** Bytes per second; 0 turns the check off. */
  bytesPerSecond: number;
  /** Over how long the rate is measured, in ms. */
  windowMs: number;
}

/**
 * Cuts a body that an upstream trickles: the idle timeout restarts with every
 * chunk, so one byte every two seconds would keep a blob going for days.
 * Time counts only while the reader waits for bytes: when the body is paused
 * or holds unread bytes, the reader (a slow client, the disk) sets the pace,
 * not the upstream, and the window starts again. Bytes are counted on the
 * socket, so watching takes nothing from the body's readers.
 */
export function enforceMinRate(response: http.IncomingMessage, rate: MinRate, host: string, onSlow: (error: UpstreamError) => void): void {
  const socket = response.socket;
  if (rate.bytesPerSecond <= 0 || !socket) return;
  const needed = (rate.bytesPerSecond * rate.windowMs) / 1000;
  let windowStart = performance.now();
  let windowBytes = socket.bytesRead;
  const timer = setInterval(
    () => {
      const now = performance.now();
      const bytes = socket.bytesRead;
      if (response.isPaused() || response.readableLength > 0) {
        windowStart = now;
        windowBytes = bytes;
        return;
      }
      if (now - windowStart < rate.windowMs) return;
      if (bytes - windowBytes < needed) {
        clearInterval(timer);
        const error = new UpstreamError(504, 'UNAVAILABLE', `upstream ${host} sent ${bytes - windowBytes} bytes in ${Math.round(now - windowStart)} ms, below the minimum of ${rate.bytesPerSecond} bytes/s`);
        onSlow(error);
        response.destroy(error);
        return;
      }
      windowStart = now;
      windowBytes = bytes;
    },
    Math.max(10, Math.min(1000, rate.windowMs / 4)),
  );
  timer.unref();
  response.once('close', () => clearInterval(timer));
}

/**
 * An overall deadline for an exchange whose body is read whole before the
 * client gets an answer (a manifest): however the upstream paces its headers
 * and bytes, the client has an answer (a 504) when it expires.
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  readonly error: UpstreamError;

  constructor(ms: number, host: string, onExpire: () => void) {
    this.error = new UpstreamError(504, 'UNAVAILABLE', `upstream ${host} did not send the whole answer within ${ms} ms`);
    this.timer = setTimeout(() => {
      onExpire();
      this.controller.abort(this.error);
    }, ms);
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get expired(): boolean {
    return this.controller.signal.aborted;
  }

  /** Cuts `body` with the deadline's error when it expires; stops once the body is done. */
  watch(body: Readable): void {
    if (this.expired) {
      body.destroy(this.error);
      return;
    }
    const onAbort = (): void => void body.destroy(this.error);
    this.signal.addEventListener('abort', onAbort, { once: true });
    body.once('close', () => this.cancel(onAbort));
  }

  cancel(onAbort?: () => void): void {
    clearTimeout(this.timer);
    if (onAbort) this.signal.removeEventListener('abort', onAbort);
  }
}
