import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CacheEvents } from '../cache/events';
import type { CircuitState } from '../resilience/circuit-breaker';
import type { ResilienceEvents } from '../resilience/observer';
import type { EndpointEvents, FallbackReason } from '../upstream/endpoints/events';

/** Where the bytes of a blob answer came from. */
export type ByteSource = 'cache' | 'download' | 'upstream';

const CIRCUIT_VALUE: Readonly<Record<CircuitState, number>> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * The metrics of one mirror, in their own registry (never prom-client's
 * global one, so two mirrors in a process do not mix). Labels carry hosts,
 * routes and outcomes only: never a repository, a digest or a credential.
 */
export class MirrorMetrics implements ResilienceEvents, EndpointEvents {
  readonly registry = new Registry();
  /** The circuit breakers whose state `lifec_circuit_state` shows. */
  private circuits: () => ReadonlyArray<{ host: string; state: CircuitState }> = () => [];
  readonly requests = this.counter('lifec_http_requests_total', 'Requests answered, by route, method and status.', ['route', 'method', 'status']);
  readonly servedBytes = this.counter('lifec_served_bytes_total', 'Blob bytes sent to clients, by source (cache, download in progress, upstream relay).', ['source']);
  readonly cacheHits = this.counter('lifec_cache_hits_total', 'Cache lookups answered from the cache, by kind (blob, manifest, tag).', ['kind']);
  readonly cacheMisses = this.counter('lifec_cache_misses_total', 'Cache lookups that had to ask the upstream, by kind.', ['kind']);
  readonly staleServed = this.counter('lifec_cache_stale_total', 'Manifests served from a stale tag resolution because the upstream failed.', []);
  readonly evictions = this.counter('lifec_cache_evictions_total', 'Files removed to keep the cache under its size cap.', []);
  readonly evictedBytes = this.counter('lifec_cache_evicted_bytes_total', 'Bytes removed to keep the cache under its size cap.', []);
  readonly cacheBytes = this.gauge('lifec_cache_size_bytes', 'Bytes in the cache.', []);
  readonly cacheEntries = this.gauge('lifec_cache_entries', 'Files in the cache.', []);
  readonly downloadedBytes = this.counter('lifec_upstream_download_bytes_total', 'Blob bytes downloaded into the cache, by outcome (verified, failed).', ['outcome']);
  readonly relayed = this.counter('lifec_cache_relayed_total', 'Blobs relayed from the upstream without caching them, by reason (too_large: over the cap, no_space: the disk is full).', ['reason']);
  readonly downloads = this.counter('lifec_upstream_downloads_total', 'Blob downloads into the cache, by outcome.', ['outcome']);
  readonly upstreamLatency = new Histogram({
    name: 'lifec_upstream_request_duration_seconds',
    help: 'Time from sending an upstream request to its response headers, by upstream and status.',
    labelNames: ['upstream', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly retries = this.counter('lifec_upstream_retries_total', 'Upstream requests tried again after a retryable failure.', ['upstream']);
  readonly circuitState: Gauge = new Gauge({
    name: 'lifec_circuit_state',
    help: 'Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open.',
    labelNames: ['upstream'],
    registers: [this.registry],
    // Read at each scrape: an open circuit turns half-open when its cooldown
    // ends, with no request or event to report it.
    collect: () => {
      for (const breaker of this.circuits()) this.circuitState.set({ upstream: breaker.host }, CIRCUIT_VALUE[breaker.state]);
    },
  });
  readonly activeDownloads = this.gauge('lifec_upstream_downloads_active', 'Upstream blob downloads running.', []);
  readonly bufferMemoryUsed = this.gauge('lifec_buffer_memory_bytes', 'Bytes of the buffer memory budget (.buffer_memory) that transfers hold.', []);
  readonly queuedDownloads = this.gauge('lifec_upstream_downloads_queued', 'Requests waiting for a download slot.', []);
  readonly rateLimitRemaining = this.gauge('lifec_upstream_ratelimit_remaining', 'Pulls the upstream says are left in its rate-limit window (its ratelimit-remaining header), by upstream.', ['upstream']);
  readonly tokenFetches = this.counter('lifec_token_fetches_total', 'Tokens fetched from upstream token services, by upstream and outcome.', ['upstream', 'outcome']);
  readonly endpointRequests = this.counter('lifec_endpoint_requests_total', 'Exchanges with a registry\'s endpoints (.endpoint, and the registry itself), by status or "error".', ['registry', 'endpoint', 'status']);
  readonly endpointBytes = this.counter('lifec_endpoint_bytes_total', 'Body bytes received from each endpoint.', ['registry', 'endpoint']);
  readonly endpointFallbacks = this.counter('lifec_endpoint_fallbacks_total', 'Requests that left an endpoint for the next, by reason (error, status, body, content).', ['registry', 'endpoint', 'reason']);
  readonly teleports = this.counter('lifec_teleports_total', 'Manifests answered with a streamable image instead, by outcome.', ['outcome']);

  exchange(host: string, status: number | 'error', seconds: number): void {
    this.upstreamLatency.observe({ upstream: host, status: String(status) }, seconds);
  }

  answered(registry: string, endpoint: string, outcome: number | 'error'): void {
    this.endpointRequests.inc({ registry, endpoint, status: String(outcome) });
  }

  bytes(registry: string, endpoint: string, bytes: number): void {
    this.endpointBytes.inc({ registry, endpoint }, bytes);
  }

  fallback(registry: string, endpoint: string, reason: FallbackReason): void {
    this.endpointFallbacks.inc({ registry, endpoint, reason });
  }

  retry(host: string): void {
    this.retries.inc({ upstream: host });
  }

  circuit(host: string, state: CircuitState): void {
    this.circuitState.set({ upstream: host }, CIRCUIT_VALUE[state]);
  }

  /** Shows the state of `breakers` as of each scrape. */
  watchCircuits(breakers: () => ReadonlyArray<{ host: string; state: CircuitState }>): void {
    this.circuits = breakers;
  }

  limiter(active: number, queued: number): void {
    this.activeDownloads.set(active);
    this.queuedDownloads.set(queued);
  }

  bufferMemory(used: number): void {
    this.bufferMemoryUsed.set(used);
  }

  /** The cache's events, as metrics. */
  cacheEvents(): CacheEvents {
    return {
      lookup: (kind, hit) => (hit ? this.cacheHits : this.cacheMisses).inc({ kind }),
      evicted: (entries, bytes) => (this.evictions.inc(entries), this.evictedBytes.inc(bytes)),
      usage: (bytes, entries) => (this.cacheBytes.set(bytes), this.cacheEntries.set(entries)),
      downloaded: (bytes, outcome) => (this.downloadedBytes.inc({ outcome }, bytes), this.downloads.inc({ outcome })),
      staleServed: () => this.staleServed.inc(),
      relayed: (reason) => this.relayed.inc({ reason }),
    };
  }

  private counter(name: string, help: string, labelNames: string[]): Counter {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge(name: string, help: string, labelNames: string[]): Gauge {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}
