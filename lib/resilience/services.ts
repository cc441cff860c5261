import type { Clock } from '../clock';
import type { Line } from '../runmd/ast';
import { CircuitBreaker } from './circuit-breaker';
import { DownloadLimiter } from './limiter';
import { MemoryBudget } from './memory-budget';
import type { ResilienceEvents, UpstreamObserver } from './observer';
import type { RetryPolicy } from './retry';
import { resilienceSettings } from './settings';

/** The resilience around one upstream host's exchanges: what its client is built with. */
export interface UpstreamPolicy {
  /** Retries of idempotent requests that failed before the mirror sent the client anything. */
  retry?: RetryPolicy;
  /** Answers 503 at once while the upstream is failing. */
  breaker?: CircuitBreaker;
  observer?: UpstreamObserver;
}

/** Resilience shared by the requests of one mirror. */
export interface ResilienceServices {
  /** Bounds concurrent upstream blob downloads. */
  downloads: DownloadLimiter;
  /** Bounds the buffers transfers hold in flight (`.buffer_memory`). */
  memory: MemoryBudget;
  /** Retry policy, breaker and observer for the client of one upstream host (one breaker per host). */
  policyFor(host: string): UpstreamPolicy;
  /** Every breaker created so far (for `/readyz`). */
  breakers(): readonly CircuitBreaker[];
  /** The most client connections the server should hold at once (`.connections`). */
  maxConnections: number;
}

/** Builds retries, breakers, the limiter and the memory budget from `.retries`, `.circuit`, `.downloads`, `.buffer_memory` (and reads `.connections`). @throws RunmdError for a bad setting. */
export function createResilience(options: { clock: Clock; settings?: readonly Line[] }, events: ResilienceEvents): ResilienceServices {
  const settings = resilienceSettings(options.settings ?? []);
  const breakers = new Map<string, CircuitBreaker>();
  const breakerFor = (host: string): CircuitBreaker => {
    let breaker = breakers.get(host);
    if (!breaker) {
      breaker = new CircuitBreaker(host, settings.breaker, options.clock, (h, state) => events.circuit(h, state));
      breakers.set(host, breaker);
      events.circuit(host, 'closed');
    }
    return breaker;
  };
  events.watchCircuits(() => [...breakers.values()]);
  return {
    downloads: new DownloadLimiter(settings.limiter, (active, queued) => events.limiter(active, queued)),
    memory: new MemoryBudget(settings.bufferMemory, (used) => events.bufferMemory(used)),
    policyFor: (host) => ({ retry: settings.retry, breaker: breakerFor(host), observer: events }),
    breakers: () => [...breakers.values()],
    maxConnections: settings.maxConnections,
  };
}
