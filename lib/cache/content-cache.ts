import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../middleware/plugin';
import type { UpstreamResponse } from '../upstream/client';
import { BlobStore } from './blob-store';
import { CacheSpace, type Reservation } from './cache-space';
import { Download, type DownloadState } from './download';
import { HashWorkers, type HashJob } from './hash-workers';
import type { IndexEntry } from './lru-index';
import { StartupCheck } from './startup-check';

/** What the cache reports, for metrics. */
export interface CacheEvents {
  lookup(kind: 'blob' | 'manifest', hit: boolean): void;
  evicted(entries: number, bytes: number): void;
  usage(bytes: number, entries: number): void;
  downloaded(bytes: number, outcome: 'verified' | 'failed'): void;
}

export interface ContentCacheOptions {
  dir: string;
  maxBytes: number;
  logger: Logger;
  clock: Clock;
  events?: CacheEvents;
}

/** A verified file in the cache. */
export interface CachedFile {
  key: string;
  path: string;
  size: number;
}

/** Where a blob's bytes come from. */
export type BlobSource =
  | { kind: 'hit'; file: CachedFile }
  | { kind: 'download'; download: Download }
  /** Not cacheable (an error status, no or too large `Content-Length`): relay as is. */
  | { kind: 'upstream'; response: UpstreamResponse };

const NO_EVENTS: CacheEvents = { lookup: () => undefined, evicted: () => undefined, usage: () => undefined, downloaded: () => undefined };

/**
 * The content-addressable cache of one mirror: verified files by sha256,
 * one upstream download per blob however many requests want it, least
 * recently used eviction under a size cap.
 */
export class ContentCache {
  readonly store: BlobStore;
  readonly maxBytes: number;
  /** Resolves once the directory is prepared and scanned. */
  readonly ready: Promise<void>;
  private readonly space: CacheSpace;
  private readonly downloads = new Map<string, Promise<Download | undefined>>();
  /** Downloads in progress, each with the promise of its clean-up. */
  private readonly running = new Map<Download, Promise<void>>();
  private readonly check: StartupCheck;
  private readonly hashers = new HashWorkers();
  private readonly events: CacheEvents;
  /** Set when the cache cannot be used (its directory, the hashing thread): the mirror then works as a plain proxy. */
  private broken?: Error;
  /** Set by `close`: no new download starts. */
  private closing = false;

  constructor(private readonly options: ContentCacheOptions) {
    this.store = new BlobStore(options.dir);
    this.maxBytes = options.maxBytes;
    this.events = options.events ?? NO_EVENTS;
    this.space = new CacheSpace(options.maxBytes, this.store, this.events, options.logger);
    this.check = new StartupCheck(this.store, options.logger, (key) => this.forget(key));
    this.ready = this.open().catch((error: Error) => {
      this.broken = error;
      options.logger.error({ dir: options.dir, err: error.message }, 'cache: unusable, serving without a cache');
    });
  }

  /** Entries, least recently used first. */
  entries(): IndexEntry[] {
    return [...this.space.index.values()];
  }

  get usedBytes(): number {
    return this.space.index.size;
  }

  /** A verified cached file for `key`, marked as used; `undefined` on a miss. */
  async find(key: string): Promise<CachedFile | undefined> {
    await this.ready;
    if (this.broken) return undefined;
    const entry = this.space.index.get(key);
    if (!entry || !(await this.check.verified(key))) return undefined;
    const now = this.options.clock.now();
    this.space.index.touch(key, now);
    void this.store.touch(key, now);
    return { key, path: this.store.blobPath(key), size: entry.size };
  }

  /** A file that vanished (pruned by hand, removed by the check) is a miss from now on. */
  forget(key: string): void {
    this.space.remove(key);
  }

  /**
   * The bytes of blob `key`: from the cache, from a download in progress, or
   * from a new download started with `fetch` (single-flight: concurrent
   * callers share the first caller's download).
   */
  async fetchBlob(key: string, fetch: () => Promise<UpstreamResponse>): Promise<BlobSource> {
    const file = await this.find(key);
    this.events.lookup('blob', file !== undefined);
    if (file) return { kind: 'hit', file };
    if (this.broken || this.closing) return { kind: 'upstream', response: await fetch() };
    const shared = this.downloads.get(key);
    if (shared) {
      const download = await shared;
      return download ? { kind: 'download', download } : { kind: 'upstream', response: await fetch() };
    }
    let own: BlobSource | undefined;
    const started = this.startDownload(key, fetch, (source) => (own = source));
    this.downloads.set(key, started.catch(() => undefined));
    const download = await started.finally(() => {
      if (!own || own.kind !== 'download') this.downloads.delete(key);
    });
    return own ?? { kind: 'download', download: download as Download };
  }

  /** A cached manifest's bytes and media type. */
  async getManifest(key: string): Promise<{ body: Buffer; mediaType: string } | undefined> {
    const file = await this.find(key);
    const mediaType = file && (await this.store.readType(key));
    const body = mediaType !== undefined && file ? await fs.promises.readFile(file.path).catch(() => undefined) : undefined;
    this.events.lookup('manifest', body !== undefined);
    // Only a file that vanished is forgotten; one without a media type is a blob, not a manifest.
    if (file && mediaType !== undefined && body === undefined) this.forget(key);
    return body && mediaType !== undefined ? { body, mediaType } : undefined;
  }

  /** Stores verified manifest bytes (the caller checked them against `key`). */
  async putManifest(key: string, body: Buffer, mediaType: string): Promise<void> {
    await this.ready;
    if (this.broken || body.length > this.maxBytes) return;
    if (this.space.index.get(key)) {
      // Cached as a blob first (the same bytes, by digest): only its media type is missing.
      if ((await this.store.readType(key)) === undefined) await this.store.writeType(key, mediaType);
      // Evicted meanwhile: no media type without its blob.
      if (!this.space.index.get(key)) await fs.promises.rm(this.store.typePath(key), { force: true }).catch(() => undefined);
      return;
    }
    const temp = this.store.tempPath(key);
    try {
      await this.space.removed(key);
      await fs.promises.writeFile(temp, body, { mode: 0o600 });
      await this.store.writeType(key, mediaType);
      await this.store.place(temp, key);
    } catch (error) {
      // A full disk must not also fill tmp/ with partial files until the next start.
      await fs.promises.rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
    await this.space.add(key, body.length, this.options.clock.now());
  }

  /** True when a file can be created in the cache directory (for `/readyz`). */
  async writable(): Promise<boolean> {
    try {
      await this.ready;
      if (this.broken) return false;
      await fs.promises.access(this.store.tmpDir, fs.constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }

  /** Lets downloads finish for up to `deadlineMs`, then aborts the rest (their files are removed). */
  async close(deadlineMs: number): Promise<void> {
    this.closing = true;
    this.check.stop();
    // Downloads still starting (waiting for a slot or for the upstream's headers) join `running` first.
    const all = Promise.all(this.downloads.values()).then(() => Promise.all(this.running.values()));
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

  private async startDownload(key: string, fetch: () => Promise<UpstreamResponse>, answer: (s: BlobSource) => void): Promise<Download | undefined> {
    const response = await fetch();
    const size = Number(response.headers['content-length']);
    // Closing (the answer came after close began): relay it, start nothing.
    if (this.closing || response.status !== 200 || !Number.isSafeInteger(size) || size < 0 || size > this.maxBytes) {
      answer({ kind: 'upstream', response });
      return undefined;
    }
    // Room for the whole blob before it starts, so the directory stays under the cap while it downloads.
    const reservation = await this.space.reserve(size);
    const temp = this.store.tempPath(key);
    let download: Download;
    try {
      // A raw descriptor, not a FileHandle: the Download closes it itself, and an
      // unreferenced FileHandle is closed by the garbage collector mid-download (EBADF).
      const fd = await new Promise<number>((resolve, reject) => fs.open(temp, 'wx+', 0o600, (error, opened) => (error ? reject(error) : resolve(opened))));
      download = this.newDownload(key, size, fd, response, temp, reservation);
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

  private newDownload(key: string, size: number, fd: number, response: UpstreamResponse, temp: string, reservation: Reservation): Download {
    let job: HashJob;
    try {
      job = this.hashers.job(fd);
    } catch (error) {
      fs.close(fd, () => void fs.promises.rm(temp, { force: true }).catch(() => undefined));
      throw error;
    }
    const download = new Download(key, size, fd, response.body, job, {
      place: async (_d, hex) => {
        await this.space.removed(hex);
        await this.store.place(temp, hex);
        // Placed: later requests find the file; the blob counts as stored, no longer as reserved.
        this.downloads.delete(key);
        reservation.release();
        await this.space.add(hex, size, this.options.clock.now());
      },
      discard: async () => {
        reservation.release();
        await fs.promises.rm(temp, { force: true }).catch(() => undefined);
      },
    });
    this.running.set(download, download.settled.then((state) => this.settled(download, state)));
    return download;
  }

  private settled(download: Download, state: DownloadState): void {
    this.running.delete(download);
    // A verified download left the map when its file was placed; by now the key may be another download's.
    if (state !== 'verified') this.downloads.delete(download.key);
    this.events.downloaded(download.written, state === 'verified' ? 'verified' : 'failed');
    if (state !== 'verified') {
      this.options.logger.warn({ digest: `sha256:${download.key}`, err: download.error?.message }, 'cache: download failed, nothing stored');
    }
  }

  private async open(): Promise<void> {
    await this.hashers.check();
    await this.store.prepare();
    const { files, removed } = await this.store.scan();
    if (removed.length > 0) this.options.logger.info({ removed: removed.length }, 'cache: removed leftovers at start');
    files.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const file of files) this.space.index.add(file.key, file.size, file.mtimeMs);
    // The cap may have shrunk since the last run.
    await this.space.evict();
    // Most recently used first: what is likely asked for soon is checked first.
    this.check.start(files.map((f) => f.key).reverse()).catch((error: Error) => {
      this.options.logger.error({ dir: this.options.dir, err: error.message }, 'cache: start check stopped');
    });
  }
}
