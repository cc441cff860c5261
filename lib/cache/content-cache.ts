import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { UpstreamResponse } from '../upstream/exchange';
import { BlobStore } from './blob-store';
import type { BlobSource, CachedFile } from './blob-source';
import { CacheSpace } from './cache-space';
import { Downloads } from './downloads';
import { NO_CACHE_EVENTS, type CacheEvents } from './events';
import { RepositoryScopes } from './repository-scopes';
import { MemoryBudget } from '../resilience/memory-budget';
import type { IndexEntry } from './lru-index';
import { StartupCheck } from './startup-check';

export interface ContentCacheOptions {
  dir: string;
  maxBytes: number;
  logger: Logger;
  clock: Clock;
  events?: CacheEvents;
  /**
   * `repository` (the default): content is answered under a repository only
   * once the upstream confirmed that repository holds it; `registry`: under
   * any repository of the registry (`.cache_scope registry`, single-tenant nodes).
   */
  scope?: 'repository' | 'registry';
  /** The buffer memory that downloads and readers share (`.buffer_memory`). */
  memory?: MemoryBudget;
}

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
  /** Which repositories hold what is cached; absent with `.cache_scope registry`. */
  readonly scopes?: RepositoryScopes;
  /** What its readers' buffers and downloads' chunks are taken from. */
  readonly memory: MemoryBudget;
  private readonly space: CacheSpace;
  private readonly downloads: Downloads;
  private readonly check: StartupCheck;
  private readonly events: CacheEvents;
  /** Set when the cache cannot be used (its directory, the hashing thread): the mirror then works as a plain proxy. */
  private broken?: Error;

  constructor(private readonly options: ContentCacheOptions) {
    this.store = new BlobStore(options.dir);
    this.maxBytes = options.maxBytes;
    this.events = options.events ?? NO_CACHE_EVENTS;
    const scopes = options.scope === 'registry' ? undefined : new RepositoryScopes(this.store);
    this.scopes = scopes;
    this.space = new CacheSpace(options.maxBytes, this.store, this.events, options.logger, (key) => scopes?.forget(key));
    this.memory = options.memory ?? MemoryBudget.unlimited();
    this.downloads = new Downloads({ store: this.store, space: this.space, maxBytes: options.maxBytes, logger: options.logger, clock: options.clock, events: this.events, memory: this.memory });
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

  /** Blob downloads in progress (digest, size, bytes so far). */
  downloadsInProgress(): Array<{ digest: string; size: number; written: number }> {
    return this.downloads.inProgress();
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
    if (this.broken) return { kind: 'upstream', response: await fetch() };
    return this.downloads.fetch(key, fetch);
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
    this.check.stop();
    await this.downloads.close(deadlineMs);
  }

  private async open(): Promise<void> {
    await this.downloads.check();
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
