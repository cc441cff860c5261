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
