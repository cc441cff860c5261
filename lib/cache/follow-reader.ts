import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { Download } from './download';

/** Read size of cache file streams: large reads keep syscalls per GiB low. */
export const FILE_CHUNK = 1024 * 1024;

/**
 * Streams bytes `start..end` (inclusive) of a download as they reach the
 * file, waiting when it has read everything written so far. Positional reads
 * on the download's own descriptor keep working after the file is renamed
 * into place. Fails when the download fails.
 */
export class FollowReader extends Readable {
  private position: number;
  private waiting = false;

  constructor(
    private readonly download: Download,
    start: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: FILE_CHUNK });
    this.position = start;
    download.retain();
  }

  /** Bytes handed out so far. */
  get sent(): number {
    return this.position;
  }

  override _read(): void {
    if (this.position > this.end) {
      this.push(null);
      return;
    }
    const download = this.download;
    if (download.state === 'failed') {
      this.destroy(download.error);
      return;
    }
    const limit = Math.min(download.readable, this.end + 1);
    if (this.position >= limit) return this.wait();
    const length = Math.min(FILE_CHUNK, limit - this.position);
    const buffer = Buffer.allocUnsafe(length);
    fs.read(download.fd, buffer, 0, length, this.position, (error, bytesRead) => {
      if (error) return this.destroy(error);
      if (this.destroyed) return;
      this.position += bytesRead;
      this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.download.off('progress', this.onProgress);
    this.download.release();
    callback(error);
  }

  private wait(): void {
    if (this.waiting) return;
    this.waiting = true;
    this.download.once('progress', this.onProgress);
  }

  private readonly onProgress = (): void => {
    this.waiting = false;
    if (!this.destroyed) this._read();
  };
}
