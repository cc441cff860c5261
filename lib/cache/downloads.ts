import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { MirrorError } from '../errors';
import type { UpstreamResponse } from '../upstream/exchange';
import type { BlobStore } from './blob-store';
import type { BlobSource } from './blob-source';
import type { CacheSpace, Reservation } from './cache-space';
import { Download, type DownloadState } from './download';
import type { CacheEvents } from './events';
import { HashWorkers, type HashJob } from './hash-workers';

export interface DownloadsOptions {
  store: BlobStore;
  space: CacheSpace;
  /** The cache's cap: a larger blob is relayed, not downloaded. */
  maxBytes: number;
  logger: Logger;
  clock: Clock;
  events: CacheEvents;
}

/**
 * Starts the cache's downloads: one per blob however many requests want it
 * (single-flight), each written to a temporary file and hashed on a hashing
 * thread, placed in the store once it verifies.
 */
export class Downloads {
  /** Downloads by key, from the moment they start (waiting for the upstream's headers) until placed. */
  private readonly byKey = new Map<string, Promise<Download | undefined>>();
  /** Downloads in progress, each with the promise of its clean-up. */
  private readonly running = new Map<Download, Promise<void>>();
  private readonly hashers = new HashWorkers();
  /** Set by `close`: no new download starts. */
  private closing = false;

  constructor(private readonly options: DownloadsOptions) {}

  /** Fails when the hashing thread cannot run (the cache is then unusable). */
  check(): Promise<void> {
    return this.hashers.check();
  }

  /**
   * The bytes of uncached blob `key`: from a download in progress, or from a
   * new one started with `fetch`. After `close`, the upstream answer is relayed.
   */
  async fetch(key: string, fetch: () => Promise<UpstreamResponse>): Promise<BlobSource> {
    if (this.closing) return { kind: 'upstream', response: await fetch() };
    const shared = this.byKey.get(key);
    if (shared) {
      const download = await shared;
      return download ? { kind: 'download', download } : { kind: 'upstream', response: await fetch() };
    }
    let own: BlobSource | undefined;
    const started = this.start(key, fetch, (source) => (own = source));
    this.byKey.set(key, started.catch(() => undefined));
    const download = await started.finally(() => {
      if (!own || own.kind !== 'download') this.byKey.delete(key);
    });
    return own ?? { kind: 'download', download: download as Download };
  }

  /** The downloads in progress: digest, announced size and bytes written so far (for the status page). */
  inProgress(): Array<{ digest: string; size: number; written: number }> {
    return [...this.running.keys()].map((d) => ({ digest: `sha256:${d.key}`, size: d.size, written: d.written }));
  }

  /** Lets downloads finish for up to `deadlineMs`, then aborts the rest (their files are removed). */
  async close(deadlineMs: number): Promise<void> {
    this.closing = true;
    // Downloads still starting (waiting for a slot or for the upstream's headers) join `running` first.
    const all = Promise.all(this.byKey.values()).then(() => Promise.all(this.running.values()));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), deadlineMs)));
    if ((await Promise.race([all, expired])) === 'expired') {
      for (const download of this.running.keys()) download.abort('the mirror is shutting down');
      // One still starting after this fails: the hashing threads are stopped.
      await Promise.all(this.running.values());
    }
    clearTimeout(timer);
    await this.hashers.close();
  }

  private async start(key: string, fetch: () => Promise<UpstreamResponse>, answer: (s: BlobSource) => void): Promise<Download | undefined> {
    const response = await fetch();
    const size = Number(response.headers['content-length']);
    // Closing (the answer came after close began): relay it, start nothing.
    if (this.closing || response.status !== 200 || !Number.isSafeInteger(size) || size < 0 || size > this.options.maxBytes) {
      answer({ kind: 'upstream', response });
      return undefined;
    }
    // Room for the whole blob before it starts, so the directory stays under the cap while it downloads.
    const reservation = await this.options.space.reserve(size);
    const temp = this.options.store.tempPath(key);
    let download: Download;
    try {
      // A raw descriptor, not a FileHandle: the Download closes it itself, and an
      // unreferenced FileHandle is closed by the garbage collector mid-download (EBADF).
      const fd = await new Promise<number>((resolve, reject) => fs.open(temp, 'wx+', 0o600, (error, opened) => (error ? reject(error) : resolve(opened))));
      download = this.create(key, size, fd, response, temp, reservation);
    } catch (error) {
      // Nobody will read the answer (ENOSPC, EMFILE): free its socket and download slot now.
      reservation.release();
      response.body.destroy();
      throw error;
    }
    // Handed out with nothing awaited since it started: it cannot have finished and closed its descriptor yet.
    answer({ kind: 'download', download });
    return download;
  }

  private create(key: string, size: number, fd: number, response: UpstreamResponse, temp: string, reservation: Reservation): Download {
    let job: HashJob;
    try {
      job = this.hashers.job(fd);
    } catch (error) {
      fs.close(fd, () => void fs.promises.rm(temp, { force: true }).catch(() => undefined));
      throw error;
    }
    const { store, space, clock } = this.options;
    const download = new Download(key, size, fd, response.body, job, {
      place: async (_d, hex) => {
        await space.removed(hex);
        await store.place(temp, hex);
        // Placed: later requests find the file; the blob counts as stored, no longer as reserved.
        this.byKey.delete(key);
        reservation.release();
        await space.add(hex, size, clock.now());
      },
      discard: async () => {
        reservation.release();
        await fs.promises.rm(temp, { force: true }).catch(() => undefined);
      },
    });
    this.running.set(download, download.settled.then((state) => this.settled(download, state, response)));
    return download;
  }

  private settled(download: Download, state: DownloadState, response: UpstreamResponse): void {
    this.running.delete(download);
    // Content that does not verify counts against whoever sent it (an endpoint's circuit opens).
    const code = download.error instanceof MirrorError ? download.error.code : undefined;
    if (state !== 'verified' && (code === 'DIGEST_INVALID' || code === 'SIZE_INVALID')) response.rejectContent?.(download.error!);
    // A verified download left the map when its file was placed; by now the key may be another download's.
    if (state !== 'verified') this.byKey.delete(download.key);
    this.options.events.downloaded(download.written, state === 'verified' ? 'verified' : 'failed');
    if (state !== 'verified') {
      this.options.logger.warn({ digest: `sha256:${download.key}`, err: download.error?.message }, 'cache: download failed, nothing stored');
    }
  }
}
