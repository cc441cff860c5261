import type { Logger } from 'pino';
import { createAuthServices, type AuthServices } from './auth/services';
import { createCacheServices, type CacheServices } from './cache/services';
import { Activity } from './metrics/activity';
import { MirrorMetrics } from './metrics/metrics';
import { createResilience, type ResilienceServices } from './resilience/services';
import type { Clock } from './clock';
import type { Line } from './runmd/ast';
import { ReferrersCache } from './referrers/cache';
import { createTeleportMemory, type TeleportMemory } from './teleport/memory';
import { cacheKey } from './cache/cache-key';
import { WarmJobs } from './warm/jobs';

/**
 * State shared by the plugins of one mirror (caches, stores, metrics). One
 * instance per `createMirror`, so two mirrors in one process never share
 * credentials or cached tokens.
 */
export interface MirrorServices {
  /** Credentials, the token cache and learned challenges (`.login`, `.authn`, `/auth`). */
  auth: AuthServices;
  /** Referrers looked up by `.discover`/`.teleport`, kept briefly and shared by concurrent pulls. */
  referrers: ReferrersCache;
  /** Manifests `.teleport` produced (served by digest through `.resolve`) and streamable manifests it verified. */
  teleport: TeleportMemory;
  /** The mirror's Prometheus metrics (`/metrics`); plugins count what they do here. */
  metrics: MirrorMetrics;
  /** The blob/manifest cache and tag resolutions (`.pull`, `.resolve`). */
  cache: CacheServices;
  /** Retries, a circuit breaker per upstream and the download limiter. */
  resilience: ResilienceServices;
  /** Warm jobs (`POST /_lifec/warm`, `.warm`). */
  warm: WarmJobs;
  /** Recent requests, last errors and the throughput history (the status page). */
  activity: Activity;
  /** Releases timers, files and sockets the services hold. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  home: string;
  logger: Logger;
  clock: Clock;
  /** Environment for credential sources (`.login env`, Docker credential helpers); default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The `.proxy` settings lines (`.cache`, `.tag_ttl`, `.retries`, `.circuit`, `.downloads`). */
  settings?: readonly Line[];
  /** Cache under `<home>/cache` when no `.cache` line says otherwise (default true). */
  cacheByDefault?: boolean;
}

export function createServices(options: ServiceOptions): MirrorServices {
  return { auth: createAuthServices(options), referrers: new ReferrersCache(options.clock), teleport: createTeleportMemory(), ...cacheAndResilience(options) };
}

/** Metrics, cache, resilience, warm jobs and activity; closing stops the warm jobs, then lets cache downloads drain. */
function cacheAndResilience(options: ServiceOptions): Pick<MirrorServices, 'metrics' | 'cache' | 'resilience' | 'warm' | 'activity' | 'close'> {
  const metrics = new MirrorMetrics();
  const activity = new Activity(metrics, options.clock);
  const resilience = createResilience(options, metrics);
  const cache = createCacheServices({ ...options, memory: resilience.memory }, metrics.cacheEvents());
  const isCached = async (digest: string): Promise<boolean> => {
    const key = cacheKey(digest);
    return key !== undefined && (await cache.content?.find(key)) !== undefined;
  };
  const warm = new WarmJobs({ isCached, clock: options.clock, logger: options.logger });
  const close = async (): Promise<void> => {
    activity.stop();
    await warm.close();
    await cache.close();
  };
  return { metrics, cache, resilience, warm, activity, close };
}
