import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MirrorError } from '../errors';
import type { HashJob } from './hash-workers';
import { MemoryBudget } from '../resilience/memory-budget';

export type DownloadState = 'running' | 'verified' | 'failed';

/**
 * Bytes of the newest chunks kept in memory once they are in the file:
 * readers that keep up with the download are sent these instead of reading
 * back what was just written.
 */
const RECENT_BYTES = 8 * 1024 * 1024;

/** What the cache does with a finished download's file. */
export interface DownloadHooks {
  /** Moves the verified file into place. */
  place(download: Download, hex: string): Promise<void>;
  /** Removes the file of a failed download; must not throw. */
  discard(download: Download): Promise<void>;
}

/**
 * One upstream download of a blob into a temporary file, hashed as it is
 * written. Any number of readers follow the file as it grows
 * (`serveDownload` in lib/http/serve-blob.ts), so N requests for one blob cost
 * one upstream download.
 *
 * Readers are never handed the last byte before the digest and size are
 * verified: with a `Content-Length` the client counts a response complete
 * when the last byte arrives, so holding it back is what keeps a corrupted
 * download from looking like a success. On a mismatch every reader is
 * destroyed (the client sees a cut connection) and the file is removed.
 *
 * Hashing and writing happen on a worker thread (`HashJob`); the newest
 * chunks stay in memory for readers that keep up.
 */
export class Download extends EventEmitter {
  state: DownloadState = 'running';
  /** Bytes on disk so far. */
  written = 0;
  error?: Error;
  /** Settles once the download is verified and placed ('verified'), or failed or not placed ('failed'). */
  readonly settled: Promise<DownloadState>;
  private refs = 1;

  /** The newest chunks in the file, oldest first, `RECENT_BYTES` at most. */
  private readonly recent: Array<{ start: number; chunk: Buffer }> = [];
  private recentBytes = 0;
  /** A download waiting for memory takes the kept chunks back (readers then read the file). */
  private readonly stopReclaim: () => void;

  constructor(
    readonly key: string,
    /** The size the upstream announced (`Content-Length`). */
    readonly size: number,
    readonly fd: number,
    private readonly body: Readable,
    job: HashJob,
    hooks: DownloadHooks,
    /** The newest chunks are kept only while it has room; readers read the file otherwise. */
    private readonly memory: MemoryBudget = MemoryBudget.unlimited(),
  ) {
    super();
    this.setMaxListeners(0);
    this.stopReclaim = memory.onShortage(() => this.dropRecent());
    const writer = new HashingFileWriter(job, this);
    this.settled = pipeline(body, writer)
      .then(() => job.digest())
      .then((hex) => this.check(hex))
      .then(
        (hex) => this.store(hex, hooks),
        // The file is gone before any reader hears of the failure, and no
        // write to the descriptor is in flight when it is closed.
        async (error: unknown) => {
          // Dropped only once its last write returned: the job's staging buffer is then free for another.
          await writer.idle;
          job.drop();
          await hooks.discard(this);
          return this.settle('failed', error);
        },
      );
  }

  /** How far readers may read now (see the class comment for why the last byte waits). */
  get readable(): number {
    if (this.state === 'verified') return this.size;
    if (this.state === 'failed') return 0;
    return Math.min(this.written, this.size - 1);
  }

  /**
   * The bytes from `position` up to `end` (exclusive) that are still in
   * memory, as one view of a chunk (possibly fewer bytes); `undefined` when
   * they must be read from the file. Never more than is readable.
   */
  bytesAt(position: number, end: number): Buffer | undefined {
    const stop = Math.min(end, this.readable);
    const first = this.recent[0];
    if (!first || position < first.start || position >= stop) return undefined;
    // The last chunk starting at or before `position` (chunks are contiguous, in order).
    let low = 0;
    let high = this.recent.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.recent[middle]!.start <= position) low = middle;
      else high = middle - 1;
    }
    const { start, chunk } = this.recent[low]!;
    if (position >= start + chunk.length) return undefined;
    return chunk.subarray(position - start, Math.min(chunk.length, stop - start));
  }

  /** Stops the download (graceful shutdown past its deadline); readers fail. */
  abort(reason: string): void {
    this.body.destroy(new MirrorError(503, 'UNAVAILABLE', reason));
  }

  /**
   * A reader holds the file descriptor open until it releases it. False
   * when the descriptor is already closed (the download finished and every
   * reader left): the reader must use the cached file instead.
   */
  retain(): boolean {
    if (this.refs === 0) return false;
    this.refs += 1;
    return true;
  }

  release(): void {
    this.refs -= 1;
    if (this.refs > 0) return;
    fs.close(this.fd, () => undefined);
    // Nobody reads any more: the chunks kept for readers go too.
    this.dropRecent();
    this.stopReclaim();
  }

  /** Called by the writer once `chunks` are hashed and in the file. */
  progressed(chunks: Buffer[]): void {
    for (const chunk of chunks) {
      // Kept chunks stay contiguous (`bytesAt` searches them): one that finds no room ends the run.
      if (this.refs > 0 && this.memory.tryTake(chunk.length)) {
        this.recent.push({ start: this.written, chunk });
        this.recentBytes += chunk.length;
      } else this.dropRecent();
      this.written += chunk.length;
    }
    while (this.recentBytes > RECENT_BYTES && this.recent.length > 1) {
      const dropped = this.recent.shift()!.chunk.length;
      this.recentBytes -= dropped;
      this.memory.give(dropped);
    }
    this.emit('progress');
  }

  private dropRecent(): void {
    this.memory.give(this.recentBytes);
    this.recent.length = 0;
    this.recentBytes = 0;
  }

  private check(hex: string): string {
    if (this.written !== this.size) {
      throw new MirrorError(502, 'SIZE_INVALID', `upstream sent ${this.written} bytes for a blob of ${this.size}`);
    }
    if (hex !== this.key) throw new MirrorError(502, 'DIGEST_INVALID', `upstream content does not match sha256:${this.key}`);
    return hex;
  }

  /**
   * Verified content goes to the readers at once; making it durable
   * (fdatasync, then the rename into place) happens after, off the clients'
   * path: a cold 256 MiB blob otherwise waited for the disk flush (~0.8 s
   * here) before its last byte. Resolves 'failed' when the file could not be
   * placed: the readers still get the verified bytes (their descriptor
   * outlives the file), only the cache misses out.
   */
  private async store(hex: string, hooks: DownloadHooks): Promise<DownloadState> {
    this.state = 'verified';
    this.emit('progress');
    let outcome: DownloadState = 'verified';
    try {
      // Durable before the rename: after a crash a placed file is complete or absent.
      await new Promise<void>((resolve, reject) => fs.fdatasync(this.fd, (error) => (error ? reject(error) : resolve())));
      await hooks.place(this, hex);
    } catch (error) {
      this.error = error instanceof Error ? error : new Error(String(error));
      outcome = 'failed';
      await hooks.discard(this);
    }
    this.release();
    return outcome;
  }

  private settle(state: DownloadState, error?: unknown): DownloadState {
    this.state = state;
    if (error !== undefined) this.error = error instanceof Error ? error : new Error(String(error));
    this.emit('progress');
    this.release();
    return state;
  }
}

/** Hands the body's chunks to the hashing thread in batches; reports progress once they are in the file. */
class HashingFileWriter extends Writable {
  /** Settles when no write is in flight. */
  idle: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly job: HashJob,
    private readonly download: Download,
  ) {
    // Up to 4 MiB gather while the worker hashes and writes the batch before.
    super({ highWaterMark: 4 * 1024 * 1024 });
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk);
    const write = this.job.write(buffers, this.download.written);
    this.idle = write.catch(() => undefined);
    write.then(() => {
      this.download.progressed(buffers);
      callback();
    }, callback);
  }
}
