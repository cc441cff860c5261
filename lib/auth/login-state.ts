import type { Clock } from '../clock';

/** A way to obtain fresh credentials for a registry again (e.g. re-running `.login-acr`). */
export type Renewer = () => Promise<void>;

/** After a failed renewal, wait this long before the next attempt a request may trigger. */
export const RENEW_BACKOFF_MS = 30_000;

/**
 * What the mirror knows about logging in to each registry: the last failure
 * (shown in the 503 a pull gets, so the cause and remedy reach the operator)
 * and how to renew, so an expired or missing credential heals without a
 * restart. Renewals are single-flight and backed off after a failure.
 */
export class LoginState {
  private readonly failures = new Map<string, string>();
  private readonly renewers = new Map<string, Renewer>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly notBefore = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  succeeded(host: string): void {
    this.failures.delete(host);
    this.notBefore.delete(host);
  }

  failed(host: string, reason: string): void {
    this.failures.set(host, reason);
    this.notBefore.set(host, this.clock.now() + RENEW_BACKOFF_MS);
  }

  lastFailure(host: string): string | undefined {
    return this.failures.get(host);
  }

  /** Seconds until a renewal may be tried again (for `Retry-After`). */
  retryAfterSeconds(host: string): number {
    const wait = (this.notBefore.get(host) ?? 0) - this.clock.now();
    return Math.max(1, Math.ceil(wait / 1000));
  }

  setRenewer(host: string, renew: Renewer): void {
    this.renewers.set(host, renew);
  }

  /**
   * Runs the registry's renewer unless one is running (then waits for it) or
   * the last attempt failed too recently. Resolves true when it succeeded.
   */
  renew(host: string): Promise<boolean> {
    const running = this.inFlight.get(host);
    if (running) return running;
    const renew = this.renewers.get(host);
    if (!renew || this.clock.now() < (this.notBefore.get(host) ?? 0)) return Promise.resolve(false);
    const attempt = renew()
      .then(() => (this.succeeded(host), true))
      .catch((err: unknown) => (this.failed(host, err instanceof Error ? err.message : String(err)), false))
      .finally(() => this.inFlight.delete(host));
    this.inFlight.set(host, attempt);
    return attempt;
  }
}
