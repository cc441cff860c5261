import { createHash, type Hash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MirrorError } from '../errors';

export type DownloadState = 'running' | 'verified' | 'failed';

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
 */
export class Download extends EventEmitter {
  state: DownloadState = 'running';
  /** Bytes on disk so far. */
  written = 0;
  error?: Error;
  /** Settles once the download is verified and placed ('verified'), or failed or not placed ('failed'). */
  readonly settled: Promise<DownloadState>;
  private refs = 1;

  constructor(
    readonly key: string,
    /** The size the upstream announced (`Content-Length`). */
    readonly size: number,
    readonly fd: number,
    private readonly body: Readable,
    hooks: DownloadHooks,
  ) {
    super();
    this.setMaxListeners(0);
    const hash = createHash('sha256');
    this.settled = pipeline(body, new HashingFileWriter(fd, hash, this))
      .then(() => this.check(hash.digest('hex')))
      .then(
        (hex) => this.store(hex, hooks),
        // The file is gone before any reader hears of the failure.
        (error: unknown) => hooks.discard(this).then(() => this.settle('failed', error)),
      );
  }

  /** How far readers may read now (see the class comment for why the last byte waits). */
  get readable(): number {
    if (this.state === 'verified') return this.size;
    if (this.state === 'failed') return 0;
    return Math.min(this.written, this.size - 1);
  }

  /** Stops the download (graceful shutdown past its deadline); readers fail. */
  abort(reason: string): void {
    this.body.destroy(new MirrorError(503, 'UNAVAILABLE', reason));
  }

  /** A reader holds the file descriptor open until it releases it. */
  retain(): void {
    this.refs += 1;
  }

  release(): void {
    this.refs -= 1;
    if (this.refs === 0) fs.close(this.fd, () => undefined);
  }

  /** Called by the writer after each write reached the file. */
  progressed(bytes: number): void {
    this.written += bytes;
    this.emit('progress');
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

/** Writes chunks at their offsets, hashing them; reports progress only once bytes are in the file. */
class HashingFileWriter extends Writable {
  constructor(
    private readonly fd: number,
    private readonly hash: Hash,
    private readonly download: Download,
  ) {
    // 4 MiB per writev: each file write is a round trip through libuv's thread
    // pool, whose queue lock is contended on a busy host (1 MiB writes cost a
    // fifth more wall time on a cold 256 MiB blob).
    super({ highWaterMark: 4 * 1024 * 1024 });
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk);
    for (const buffer of buffers) this.hash.update(buffer);
    this.writeAll(buffers, callback);
  }

  /**
   * writev(2) may write fewer bytes than asked without an error (a full disk,
   * RLIMIT_FSIZE): the rest is written again, so the file never holds a hole
   * the hash (computed over the network bytes) would not notice. A write that
   * makes no progress fails the download.
   */
  private writeAll(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    const requested = buffers.reduce((sum, b) => sum + b.length, 0);
    fs.writev(this.fd, buffers, this.download.written, (error, written) => {
      if (error) return callback(error);
      if (written > 0) this.download.progressed(written);
      if (written === requested) return callback();
      if (written <= 0) return callback(new Error(`short write: 0 of ${requested} bytes reached the cache file`));
      this.writeAll(remainder(buffers, written), callback);
    });
  }
}

/** The buffers left to write once `skip` bytes of them are in the file. */
function remainder(buffers: Buffer[], skip: number): Buffer[] {
  const rest: Buffer[] = [];
  let left = skip;
  for (const buffer of buffers) {
    if (left >= buffer.length) {
      left -= buffer.length;
      continue;
    }
    rest.push(left > 0 ? buffer.subarray(left) : buffer);
    left = 0;
  }
  return rest;
}
