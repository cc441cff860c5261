import { Readable } from 'node:stream';

/** The byte range a body carries: `start`..`end`, inclusive (RFC 9110 §14.1.2). */
export interface ByteSpan {
  start: number;
  end: number;
}

/** A later endpoint's answer for the bytes `from`..`end`, or `undefined` when none could give them. */
export type ResumeFrom = (from: number, end: number, afterHop: number) => Promise<{ body: Readable; hop: number } | undefined>;

export interface ResumingBodyOptions {
  /** What the first answer announced; without it a break cannot be resumed. */
  span?: ByteSpan;
  /** Where to continue after a break (absent: the body fails as the source did). */
  resume?: ResumeFrom;
  /** Bytes that arrived from an endpoint (for its byte counter). */
  onBytes: (hop: number, bytes: number) => void;
  /** A source broke off mid-way (for its breaker and the log). */
  onBreak: (hop: number, error: Error, received: number) => void;
}

/**
 * An upstream body that outlives the endpoint it started from: when the
 * source breaks off (reset, idle timeout, ended short of its length), the
 * rest is asked of the next endpoint with `Range: bytes=<received>-` and
 * continues in the same stream. Readers see one body; the bytes still go
 * through every check they went through before (the cache verifies the digest).
 * Backpressure is the source's: it is paused while this stream's buffer is full.
 */
export class ResumingBody extends Readable {
  /** Bytes passed on so far. */
  received = 0;
  /** The hops that sent bytes of this body, in order. */
  readonly hops: number[] = [];
  private source!: Readable;
  private hop = -1;

  constructor(
    first: Readable,
    hop: number,
    private readonly options: ResumingBodyOptions,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.attach(first, hop);
  }

  override _read(): void {
    this.source.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.source.destroy();
    callback(error);
  }

  private attach(source: Readable, hop: number): void {
    this.source = source;
    this.hop = hop;
    if (!this.hops.includes(hop)) this.hops.push(hop);
    let over = false;
    const broke = (error: Error): void => {
      if (over) return;
      over = true;
      this.broke(error);
    };
    source.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      this.options.onBytes(hop, chunk.length);
      if (!this.push(chunk)) source.pause();
    });
    source.once('end', () => {
      if (over) return;
      const span = this.options.span;
      if (span && this.received < span.end - span.start + 1) return broke(new Error(`the body ended after ${this.received} of ${span.end - span.start + 1} bytes`));
      over = true;
      this.push(null);
    });
    source.once('error', broke);
    // A source closed without ending or failing (torn down from outside) must not leave readers waiting.
    source.once('close', () => broke(new Error('the connection closed before the body ended')));
  }

  private broke(error: Error): void {
    if (this.destroyed) return;
    this.source.destroy();
    const { span, resume } = this.options;
    this.options.onBreak(this.hop, error, this.received);
    const from = span ? span.start + this.received : 0;
    if (!span || !resume || from > span.end) return void this.destroy(error);
    resume(from, span.end, this.hop).then(
      (next) => {
        if (!next) return void this.destroy(error);
        if (this.destroyed) return void next.body.destroy();
        this.attach(next.body, next.hop);
      },
      () => this.destroy(error),
    );
  }
}
