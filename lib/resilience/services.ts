import type { MirrorMetrics } from '../metrics/metrics';
import type { Clock } from '../middleware/plugin';
import type { Line } from '../runmd/ast';
import type { UpstreamClientOptions } from '../upstream/client';
import type { Upstream } from '../upstream/upstream';
import { CircuitBreaker } from './circuit-breaker';
import { DownloadLimiter } from './limiter';
import { resilienceSettings } from './settings';

/** Resilience shared by the requests of one mirror. */
export interface ResilienceServices {
  /** Bounds concurrent upstream blob downloads. */
  downloads: DownloadLimiter;
  /** Retry policy, breaker and observer for the client of `upstream` (one breaker per upstream host). */
  clientOptions(upstream: Upstream): UpstreamClientOptions;
  /** Every breaker created so far (for `/readyz`). */
  breakers(): readonly CircuitBreaker[];
  /** The most client connections the server should hold at once (`.connections`). */
  maxConnections: number;
}

/** Builds retries, breakers and the limiter from `.retries`, `.circuit`, `.downloads` (and reads `.connections`). @throws RunmdError for a bad setting. */
export function createResilience(options: { clock: Clock; settings?: readonly Line[] }, metrics: MirrorMetrics): ResilienceServices {
  const settings = resilienceSettings(options.settings ?? []);
  const breakers = new Map<string, CircuitBreaker>();
  const breakerFor = (host: string): CircuitBreaker => {
    let breaker = breakers.get(host);
    if (!breaker) {
      breaker = new CircuitBreaker(host, settings.breaker, options.clock, (h, state) => metrics.circuit(h, state));
      breakers.set(host, breaker);
      metrics.circuit(host, 'closed');
    }
    return breaker;
  };
  metrics.watchCircuits(() => [...breakers.values()]);
  return {
    downloads: new DownloadLimiter(settings.limiter, (active, queued) => metrics.limiter(active, queued)),
    clientOptions: (upstream) => ({ retry: settings.retry, breaker: breakerFor(upstream.host), observer: metrics }),
    breakers: () => [...breakers.values()],
    maxConnections: settings.maxConnections,
  };
}
