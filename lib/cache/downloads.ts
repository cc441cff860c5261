import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { MirrorError } from '../errors';
import type { UpstreamResponse } from '../upstream/exchange';
import type { BlobStore } from './blob-store';
import type { BlobSource } from './blob-source';
import type { CacheSpace, Reservation } from './cache-space';
import { Download, type DownloadHooks, type DownloadState } from './download';
import { DiskRoom, isDiskFull } from './disk-room';
import type { CacheEvents, RelayReason } from './events';
import { HashWorkers, type HashJob } from './hash-workers';
import { MemoryBudget } from '../resilience/memory-budget';

export interface DownloadsOptions {
  store: BlobStore;
  space: CacheSpace;
  /** The cache's cap: a larger blob is relayed, not downloaded. */
  maxBytes: number;
  logger: Logger;
  clock: Clock;
  events: CacheEvents;
  /** Each download takes its working set from here before it starts, and its newest chunks while there is room. */
  memory?: MemoryBudget;
}

/**
 * What one download holds however fast its readers are: the writer's batch
 * (4 MiB and the chunk that crossed it), the part of its staging buffer a
 * batch fills on the hashing thread, and the upstream socket's read (1 MiB).
 */
const DOWNLOAD_WORKING_SET = 11 * 1024 * 1024;

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
  private readonly room: DiskRoom;
  private readonly memory: MemoryBudget;
  /** Set by `close`: no new download starts. */
  private closing = false;

  constructor(private readonly options: DownloadsOptions) {
    this.room = new DiskRoom(options.store.tmpDir);
    this.memory = options.memory ?? MemoryBudget.unlimited();
  }

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
      return download ? { kind: 'download', download, started: false } : { kind: 'upstream', response: await fetch() };
    }
    let own: BlobSource | undefined;
    const started = this.start(key, fetch, (source) => (own = source));
    this.byKey.set(key, started.catch(() => undefined));
    const download = await started.finally(() => {
      if (!own || own.kind !== 'download') this.byKey.delete(key);
    });
    return own ?? { kind: 'download', download: download as Download, started: true };
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
    // Downloads wait for their working set when the budget is spent (readers then read from the files).
    await this.memory.take(DOWNLOAD_WORKING_SET);
    let response: UpstreamResponse;
    try {
      response = await fetch();
    } catch (error) {
      this.memory.give(DOWNLOAD_WORKING_SET);
      throw error;
    }
    const download = await this.begin(key, response, answer).catch((error: unknown) => {
      this.memory.give(DOWNLOAD_WORKING_SET);
      throw error;
    });
    // A relayed answer holds less than a download, but holds it until its body is done.
    if (download) void download.settled.finally(() => this.memory.give(DOWNLOAD_WORKING_SET));
    else response.body.once('close', () => this.memory.give(DOWNLOAD_WORKING_SET));
    return download;
  }

  private async begin(key: string, response: UpstreamResponse, answer: (s: BlobSource) => void): Promise<Download | undefined> {
    const size = Number(response.headers['content-length']);
    // Closing (the answer came after close began): relay it, start nothing.
    if (this.closing || response.status !== 200 || !Number.isSafeInteger(size) || size < 0) {
      answer({ kind: 'upstream', response });
      return undefined;
    }
    const claim = size > this.options.maxBytes ? 'too_large' : await this.room.claim(size);
    if (typeof claim === 'string') {
      this.relayed(key, size, claim);
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
      reservation.release();
      claim.release();
      // The disk is full: the client still gets the blob, relayed.
      if (isDiskFull(error)) {
        this.relayed(key, size, 'no_space');
        answer({ kind: 'upstream', response });
        return undefined;
      }
      // Nobody will read the answer (EMFILE): free its socket and download slot now.
      response.body.destroy();
      throw error;
    }
    claim.follow(download);
    // Handed out with nothing awaited since it started: it cannot have finished and closed its descriptor yet.
    answer({ kind: 'download', download, started: true });
    return download;
  }

  private relayed(key: string, size: number, reason: RelayReason): void {
    this.options.events.relayed(reason);
    const why = reason === 'too_large' ? 'it is larger than the cache' : 'the disk has no room for it';
    const level = reason === 'no_space' ? 'warn' : 'info';
    this.options.logger[level]({ digest: `sha256:${key}`, size, reason }, `cache: relaying a blob without caching it: ${why}`);
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
    const hooks: DownloadHooks = {
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
    };
    const download = new Download(key, size, fd, response.body, job, hooks, this.memory);
    this.running.set(download, download.settled.then((state) => this.settled(download, state, response)));
    return download;
  }

  private settled(download: Download, state: DownloadState, response: UpstreamResponse): void {
    this.running.delete(download);
    this.room.settled(download);
    // Content that does not verify counts against whoever sent it (an endpoint's circuit opens).
    const code = download.error instanceof MirrorError ? download.error.code : undefined;
    if (state !== 'verified' && (code === 'DIGEST_INVALID' || code === 'SIZE_INVALID')) response.rejectContent?.(download.error!);
    // A verified download left the map when its file was placed; by now the key may be another download's.
    if (state !== 'verified') this.byKey.delete(download.key);
    this.options.events.downloaded(download.written, state === 'verified' ? 'verified' : 'failed');
    if (state !== 'verified') {
      const full = isDiskFull(download.error);
      // Its readers were cut; they come back with Range and are relayed while the disk is full (DiskRoom).
      const message = full ? 'cache: the disk filled up during a download, nothing stored' : 'cache: download failed, nothing stored';
      this.options.logger.warn({ digest: `sha256:${download.key}`, err: download.error?.message }, message);
    }
  }
}
