import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { formatImageReference, parseImageReference, type ImageReference } from '../oci/image-reference';
import { formatPlatform } from '../oci/platform';
import { MirrorApi, WarmError, type FetchedManifest } from './mirror-api';
import { isFinished, type WarmImageReport, type WarmItemReport, type WarmJobReport, type WarmJobState } from './report';
import { Slots } from './slots';
import { walkImage, type WantedPlatforms } from './walk';

/** What to warm. */
export interface WarmRequest {
  /** Image references as given (`redis:7`, `host/app@sha256:…`); checked by `parseWarmReferences`. */
  references: readonly string[];
  platforms: WantedPlatforms;
  source: 'api' | 'runmd';
}

export interface WarmJobDeps {
  /** The mirror's own address (`http://127.0.0.1:8578`); a job waits for it while the mirror is not listening yet. */
  origin: () => Promise<string>;
  /** True when the mirror's cache holds a verified copy of `digest`. */
  isCached: (digest: string) => Promise<boolean>;
  clock: Clock;
  logger: Logger;
  /** Blobs read at once per job (default 4). */
  concurrency?: number;
}

/** How long a blob read in full may take to appear in the cache. */
const PLACE_WAIT_MS = 10_000;

interface ImageRun extends Omit<WarmImageReport, 'totalBytes' | 'doneBytes'> {
  ref: ImageReference;
}

/** Parses every reference; throws one `WarmError` naming the first that is not a reference. */
export function parseWarmReferences(references: readonly string[]): ImageReference[] {
  return references.map((text) => {
    try {
      return parseImageReference(text);
    } catch (err) {
      throw new WarmError((err as Error).message);
    }
  });
}

/**
 * One warm: every image's manifests, configs and layers read through the
 * mirror's own API, so they land in its cache. Already-cached content counts
 * as done at once (nothing is fetched), a blob shared by images or platforms
 * is read once, and a failed image is named with its cause while the others go on.
 */
export class WarmJob {
  readonly finished: Promise<void>;
  private readonly images: ImageRun[];
  private readonly items = new Map<string, WarmItemReport>();
  private readonly blobs = new Map<string, Promise<void>>();
  private readonly manifests = new Map<string, Promise<FetchedManifest>>();
  private readonly controller = new AbortController();
  private readonly slots: Slots;
  private readonly createdAt: number;
  private finishedAt?: number;

  constructor(
    readonly id: string,
    readonly request: WarmRequest,
    private readonly deps: WarmJobDeps,
  ) {
    this.createdAt = deps.clock.now();
    this.slots = new Slots(deps.concurrency ?? 4);
    const refs = parseWarmReferences(request.references);
    this.images = refs.map((ref, i) => ({ reference: request.references[i]!, ref, image: formatImageReference(ref), state: 'queued', platforms: [], items: [] }));
    this.finished = this.run();
  }

  /** Stops the job: requests in flight are aborted; what was cached stays (the next warm resumes from it). */
  cancel(): void {
    this.controller.abort();
  }

  get state(): WarmJobState {
    if (this.images.some((i) => !isFinished(i.state))) return 'running';
    if (this.images.every((i) => i.state === 'done')) return 'done';
    return this.images.some((i) => i.state === 'failed') ? 'failed' : 'canceled';
  }

  report(): WarmJobReport {
    const images = this.images.map(({ ref: _ref, ...image }) => {
      const items = image.items.map((item) => ({ ...item }));
      return { ...image, items, totalBytes: sum(items, (i) => i.size), doneBytes: sum(items, (i) => i.doneBytes) };
    });
    const { platforms } = this.request;
    return {
      id: this.id,
      state: this.state,
      source: this.request.source,
      platforms: platforms === 'all' ? 'all' : platforms.map(formatPlatform),
      createdAt: new Date(this.createdAt).toISOString(),
      ...(this.finishedAt !== undefined && { finishedAt: new Date(this.finishedAt).toISOString() }),
      totalBytes: sum(images, (i) => i.totalBytes),
      doneBytes: sum(images, (i) => i.doneBytes),
      images,
    };
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new WarmError('canceled')), { once: true }));
    aborted.catch(() => undefined);
    let api: MirrorApi | undefined;
    try {
      api = new MirrorApi(await Promise.race([this.deps.origin(), aborted]), signal);
      await Promise.all(this.images.map((image) => this.warmImage(api!, image)));
    } catch (err) {
      for (const image of this.images.filter((i) => !isFinished(i.state))) this.fail(image, err);
    } finally {
      api?.close();
      this.finishedAt = this.deps.clock.now();
      const failed = this.images.filter((i) => i.state !== 'done');
      this.deps.logger[failed.length > 0 ? 'warn' : 'info'](
        { warm: this.id, images: this.images.length, failed: failed.map((i) => `${i.reference}: ${i.error ?? i.state}`) },
        `warm ${this.state}`,
      );
    }
  }

  private async warmImage(api: MirrorApi, image: ImageRun): Promise<void> {
    try {
      image.state = 'resolving';
      const { ref } = image;
      const digest = ref.digest ?? (await api.resolve(ref, ref.tag ?? 'latest'));
      const content = await walkImage(digest, this.request.platforms, (d, size) => this.manifest(api, image, d, size));
      image.platforms = content.platforms;
      const items = content.blobs.map((b) => this.itemFor(image, b.kind, b.descriptor.digest, b.descriptor.size));
      image.state = 'fetching';
      const results = await Promise.allSettled(items.map((item) => this.blob(api, ref, item)));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
      image.state = 'done';
    } catch (err) {
      this.fail(image, err);
    }
  }

  private fail(image: ImageRun, err: unknown): void {
    image.state = this.controller.signal.aborted ? 'canceled' : 'failed';
    if (image.state === 'failed') image.error = err instanceof Error ? err.message : String(err);
  }

  /** A manifest by digest, fetched once per job however many images list it. */
  private manifest(api: MirrorApi, image: ImageRun, digest: string, size: number | undefined): Promise<FetchedManifest> {
    const item = this.itemFor(image, 'manifest', digest, size ?? 0);
    let fetched = this.manifests.get(digest);
    if (!fetched) {
      fetched = (async () => {
        item.cached = await this.deps.isCached(digest);
        item.state = 'fetching';
        const manifest = await api.manifest(image.ref, digest);
        Object.assign(item, { size: manifest.body.length, doneBytes: manifest.body.length, state: 'done' });
        return manifest;
      })();
      fetched.catch(() => (item.state = 'failed'));
      this.manifests.set(digest, fetched);
    }
    return fetched;
  }

  /** A config or layer, read through the mirror once per job; a cached one is done at once. */
  private blob(api: MirrorApi, ref: ImageReference, item: WarmItemReport): Promise<void> {
    let read = this.blobs.get(item.digest);
    if (!read) {
      read = (async () => {
        if (await this.deps.isCached(item.digest)) return void Object.assign(item, { cached: true, doneBytes: item.size, state: 'done' });
        await this.slots.run(async () => {
          if (this.controller.signal.aborted) throw new WarmError('canceled');
          item.state = 'fetching';
          item.doneBytes = 0;
          const bytes = await api.blob(ref, item.digest, (n) => (item.doneBytes += n));
          if (bytes !== item.size) throw new WarmError(`${item.digest}: the mirror sent ${bytes} bytes, the manifest says ${item.size}`);
          await this.placed(item.digest);
          item.state = 'done';
        });
      })();
      read.catch(() => (item.state = 'failed'));
      this.blobs.set(item.digest, read);
    }
    return read;
  }

  /**
   * Waits until the cache holds the blob just read: the mirror sends the last
   * byte once the digest verified, and places the file just after. Done means
   * cached, so a warm that ends (or a mirror killed) after this keeps it.
   */
  private async placed(digest: string): Promise<void> {
    for (let waited = 0; waited < PLACE_WAIT_MS; waited += 50) {
      if (await this.deps.isCached(digest)) return;
      await sleep(50);
    }
    throw new WarmError(`${digest} was read but is not in the cache (is it larger than the cache's cap?)`);
  }

  /** The job's one item for `digest`, listed in `image` too. */
  private itemFor(image: ImageRun, kind: WarmItemReport['kind'], digest: string, size: number): WarmItemReport {
    let item = this.items.get(digest);
    if (!item) {
      item = { kind, digest, size, doneBytes: 0, state: 'pending', cached: false };
      this.items.set(digest, item);
    }
    if (!image.items.includes(item)) image.items.push(item);
    return item;
  }
}

function sum<T>(list: readonly T[], value: (t: T) => number): number {
  return list.reduce((total, t) => total + value(t), 0);
}
