import { UpstreamError } from '../errors';
import type { Clock } from '../clock';

export type CircuitState = 'closed' | 'open' | 'half-open';

/** When a breaker opens and how long it stays open. */
export interface BreakerPolicy {
  /** Consecutive failures that open the circuit (0 disables the breaker). */
  failures: number;
  /** How long an open circuit answers 503 before one probe request may try again, in ms. */
  cooldownMs: number;
}

export const DEFAULT_BREAKER: BreakerPolicy = { failures: 5, cooldownMs: 10_000 };

/**
 * A circuit breaker for one upstream. While it is open every request fails
 * at once with 503: containerd retries 5xx only on its last host, so a fast
 * 503 sends it straight to its fallback (the registry itself) instead of
 * waiting for timeouts (containerd `core/remotes/docker/resolver.go`).
 * After the cooldown one request probes; its outcome closes or re-opens it.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private current: CircuitState = 'closed';

  constructor(
    readonly host: string,
    private readonly policy: BreakerPolicy,
    private readonly clock: Clock,
    private readonly onChange: (host: string, state: CircuitState) => void = () => undefined,
  ) {}

  get state(): CircuitState {
    if (this.current === 'open' && this.clock.now() - this.openedAt >= this.policy.cooldownMs) return 'half-open';
    return this.current;
  }

  /**
   * Admits a request or throws a 503 `UpstreamError` with `Retry-After`.
   * In half-open state only one probe is admitted at a time.
   */
  admit(): void {
    const state = this.state;
    if (state === 'closed') return;
    if (state === 'half-open' && !this.probing) {
      this.probing = true;
      this.transition('half-open');
      return;
    }
    const waitMs = Math.max(0, this.policy.cooldownMs - (this.clock.now() - this.openedAt));
    throw new UpstreamError(503, 'UNAVAILABLE', `upstream ${this.host} is failing; the mirror stops asking it for a while`, {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))) },
    });
  }

  /** The upstream answered (any status below 500, or 501). */
  succeeded(): void {
    this.failures = 0;
    this.probing = false;
    this.transition('closed');
  }

  /**
   * The upstream sent the headers of an answer whose body is still to come:
   * it is reachable (a half-open circuit closes, the probe is over), but its
   * failure count is reset only once the body arrives ({@link succeeded}), so
   * an upstream that answers at once and then trickles every body still opens
   * the circuit.
   */
  answered(): void {
    this.probing = false;
    this.transition('closed');
  }

  /** The upstream failed: no answer, a 5xx, or a body that stalled or trickled. */
  failed(): void {
    this.probing = false;
    this.failures += 1;
    if (this.policy.failures > 0 && (this.current !== 'closed' || this.failures >= this.policy.failures)) {
      this.openedAt = this.clock.now();
      this.transition('open');
    }
  }

  /**
   * Opens the circuit now, whatever the count: the upstream answered with
   * content that did not verify, so nothing it sends can be trusted until
   * the cooldown ends (the client's retry goes to the next endpoint).
   */
  trip(): void {
    this.probing = false;
    this.failures = Math.max(this.failures + 1, this.policy.failures);
    if (this.policy.failures === 0) return;
    this.openedAt = this.clock.now();
    this.transition('open');
  }

  /** The admitted request ended without telling anything about the upstream (the client left). */
  abandoned(): void {
    this.probing = false;
  }

  private transition(state: CircuitState): void {
    if (this.current === state) return;
    this.current = state;
    this.onChange(this.host, state);
  }
}
