import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { MemoryBudget } from '../resilience/memory-budget';
import type { Line } from '../runmd/ast';
import { ContentCache } from './content-cache';
import type { CacheEvents } from './events';
import { cacheSettings } from './settings';
import { TagCache } from './tag-cache';

/** How long shutdown waits for cache downloads before aborting them. */
export const DRAIN_MS = 10_000;

/** The cache state of one mirror. */
export interface CacheServices {
  /** Verified blobs and manifests by digest; absent with `: .cache off`. */
  content?: ContentCache;
  /** Tag → digest resolutions (fresh for `.tag_ttl`, kept for stale-on-error). */
  tags: TagCache;
  /** Lets downloads finish (up to {@link DRAIN_MS}), then stops the startup check. */
  close(): Promise<void>;
}

/** Builds the cache from the `.proxy` settings (`.cache`, `.tag_ttl`). @throws RunmdError for a bad setting. */
export function createCacheServices(
  options: { home: string; logger: Logger; clock: Clock; settings?: readonly Line[]; cacheByDefault?: boolean; memory?: MemoryBudget },
  events: CacheEvents,
): CacheServices {
  const settings = cacheSettings(options.settings ?? [], options.home, options.cacheByDefault ?? true);
  const content = settings.dir
    ? new ContentCache({ dir: settings.dir, maxBytes: settings.maxBytes, logger: options.logger, clock: options.clock, events, scope: settings.scope, memory: options.memory })
    : undefined;
  return {
    content,
    tags: new TagCache(settings.tagTtlMs, options.clock),
    close: async () => {
      await content?.ready;
      await content?.close(DRAIN_MS);
    },
  };
}
