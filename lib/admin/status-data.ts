import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Counter } from 'prom-client';
import type { ServedFrom } from '../http/access-log';
import { withoutQueries } from '../metrics/activity';
import type { CircuitState } from '../resilience/circuit-breaker';
import type { MirrorServices } from '../services';
import type { Upstream, UpstreamSet } from '../upstream/upstream';
import type { WarmJobReport } from '../warm/report';

/** `GET /_lifec/status.json`: every field is documented in docs/operations.md ("Status"). Times are ISO 8601. */
export interface MirrorStatus {
  version: string;
  now: string;
  startedAt: string;
  uptimeSeconds: number;
  rssBytes: number;
  registries: RegistryStatus[];
  cache: CacheStatus;
  downloads: DownloadsStatus;
  warm: WarmJobReport[];
  requests: RequestStatus[];
  history: Array<{ at: string; bytesPerSecond: number; hitRatio: number | null }>;
}

export interface RegistryStatus {
  host: string;
  /** Where its content is fetched from, in order (`.endpoint` lines, then the registry itself unless `.origin off`), each with its own breaker. */
  endpoints: Array<{ name: string; url: string; breaker: CircuitState }>;
  default: boolean;
  breaker: CircuitState;
  lastError: { at: string; message: string } | null;
  auth: {
    /** The registry's challenge as last seen (`bearer`, `basic`), or null before any 401. */
    scheme: string | null;
    /** The token service's address, without a query. */
    realm?: string;
    service?: string;
    /** Unexpired tokens cached for it, and when the last expires (never the tokens). */
    tokens: number;
    tokenExpiresAt?: string;
    /** Why the last login (`.login-acr`) failed, when it did. */
    loginError?: string;
  };
}

export interface CacheStatus {
  enabled: boolean;
  dir?: string;
  usedBytes: number;
  capBytes: number;
  entries: number;
  /** Hits / lookups since start; null before the first lookup. */
  hitRatio: { blob: number | null; manifest: number | null };
  hits: Record<'blob' | 'manifest' | 'tag', number>;
  misses: Record<'blob' | 'manifest' | 'tag', number>;
  servedBytes: Record<'cache' | 'download' | 'upstream', number>;
  evictions: number;
  evictedBytes: number;
}

export interface DownloadsStatus {
  /** Upstream blob downloads holding a slot of the download limiter, and requests waiting for one. */
  active: number;
  queued: number;
  /** Downloads into the cache, with their progress. */
  inProgress: Array<{ digest: string; sizeBytes: number; doneBytes: number }>;
}

export interface RequestStatus {
  time: string;
  method: string;
  registry: string;
  repository: string | null;
  reference: string | null;
  status: number;
  bytes: number;
  ms: number;
  source: ServedFrom | null;
  aborted: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The mirror's state as the status page and `lifec-mirror status` show it. Nothing in it is a credential or a query string. */
export async function collectStatus(services: MirrorServices, upstreams: UpstreamSet, now = Date.now()): Promise<MirrorStatus> {
  const breakers = new Map(services.resilience.breakers().map((b) => [b.host, b.state]));
  const limiter = services.resilience.downloads;
  return {
    version: VERSION,
    now: iso(now),
    startedAt: iso(now - process.uptime() * 1000),
    uptimeSeconds: Math.round(process.uptime()),
    rssBytes: process.memoryUsage.rss(),
    registries: upstreams.all.map((u) => ({
      host: u.host,
      endpoints: endpointsOf(u, breakers),
      default: u.isDefault,
      breaker: breakers.get(u.host) ?? 'closed',
      lastError: errorOf(services, u.host),
      auth: authOf(services, u.host),
    })),
    cache: await cacheStatus(services),
    downloads: {
      active: limiter.running,
      queued: limiter.queued,
      inProgress: (services.cache.content?.downloadsInProgress() ?? []).map((d) => ({ digest: d.digest, sizeBytes: d.size, doneBytes: d.written })),
    },
    warm: services.warm.reports(),
    requests: services.activity.requests().flatMap((r) =>
      r.registry === undefined
        ? []
        : [{ time: iso(r.time), method: r.method, registry: r.registry, repository: r.repository ?? null, reference: r.reference ?? null, status: r.status, bytes: r.bytes, ms: r.ms, source: r.source ?? null, aborted: r.aborted === true }],
    ),
    history: services.activity.history().map((p) => ({ at: iso(p.at), bytesPerSecond: Math.round(p.bytesPerSecond), hitRatio: p.hitRatio })),
  };
}

function endpointsOf(upstream: Upstream, breakers: ReadonlyMap<string, CircuitState>): RegistryStatus['endpoints'] {
  const plan = upstream.fetchPlan;
  const endpoints = (plan?.endpoints ?? []).map((e) => ({ name: e.name, url: `${e.origin}${e.prefix ? `/${e.prefix}` : ''}`, breaker: breakers.get(e.name) ?? 'closed' }));
  if (plan?.origin === false) return endpoints;
  return [...endpoints, { name: upstream.host, url: upstream.origin, breaker: breakers.get(upstream.host) ?? 'closed' }];
}

function errorOf(services: MirrorServices, host: string): RegistryStatus['lastError'] {
  const last = services.activity.lastError(host);
  return last ? { at: iso(last.at), message: last.message } : null;
}

function authOf(services: MirrorServices, host: string): RegistryStatus['auth'] {
  const challenge = services.auth.challenges.get(host);
  const loginError = services.auth.credentials.logins.lastFailure(host);
  const realm = challenge?.params.realm;
  const service = challenge?.params.service ?? '';
  const tokens = realm ? services.auth.tokens.summary(realm, service) : { count: 0 };
  return {
    scheme: challenge?.scheme ?? null,
    ...(realm !== undefined && { realm: withoutQuery(realm) }),
    ...(challenge?.params.service !== undefined && { service }),
    tokens: tokens.count,
    ...(tokens.expiresAt !== undefined && { tokenExpiresAt: iso(tokens.expiresAt) }),
    ...(loginError !== undefined && { loginError: withoutQueries(loginError) }),
  };
}

async function cacheStatus(services: MirrorServices): Promise<CacheStatus> {
  const { metrics } = services;
  const content = services.cache.content;
  const hits = await byLabel(metrics.cacheHits, 'kind', ['blob', 'manifest', 'tag']);
  const misses = await byLabel(metrics.cacheMisses, 'kind', ['blob', 'manifest', 'tag']);
  const ratio = (kind: 'blob' | 'manifest'): number | null => (hits[kind] + misses[kind] > 0 ? hits[kind] / (hits[kind] + misses[kind]) : null);
  return {
    enabled: content !== undefined,
    ...(content && { dir: content.store.dir }),
    usedBytes: content?.usedBytes ?? 0,
    capBytes: content?.maxBytes ?? 0,
    entries: content?.entries().length ?? 0,
    hitRatio: { blob: ratio('blob'), manifest: ratio('manifest') },
    hits,
    misses,
    servedBytes: await byLabel(metrics.servedBytes, 'source', ['cache', 'download', 'upstream']),
    evictions: await total(metrics.evictions),
    evictedBytes: await total(metrics.evictedBytes),
  };
}

async function byLabel<K extends string>(counter: Counter, label: string, keys: readonly K[]): Promise<Record<K, number>> {
  const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const v of (await counter.get()).values) {
    const key = v.labels[label] as K | undefined;
    if (key !== undefined && key in out) out[key] += v.value;
  }
  return out;
}

async function total(counter: Counter): Promise<number> {
  return (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
}

function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/** The package's version, read once: lib/admin and dist/admin both sit two levels under the package root. */
const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();
