import type { CircuitState } from './circuit-breaker';

/**
 * What the upstream client reports about its exchanges, for metrics. Kept
 * as an interface so the client does not depend on prom-client.
 */
export interface UpstreamObserver {
  /** One exchange got response headers (`status`) or failed before them (`'error'`). */
  exchange(host: string, status: number | 'error', seconds: number): void;
  /** A request is tried again after a retryable failure. */
  retry(host: string): void;
}

/** Everything resilience reports: the client's exchanges, breaker states and the download limiter. */
export interface ResilienceEvents extends UpstreamObserver {
  circuit(host: string, state: CircuitState): void;
  /** Reads the breakers' states when they are shown (a breaker turns half-open without an event). */
  watchCircuits(breakers: () => ReadonlyArray<{ host: string; state: CircuitState }>): void;
  limiter(active: number, queued: number): void;
  /** Bytes of the buffer memory budget in use. */
  bufferMemory(used: number): void;
}
