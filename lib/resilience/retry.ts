import { MirrorError } from '../errors';

/** How an idempotent upstream request is retried. */
export interface RetryPolicy {
  /** Extra attempts after the first (0 turns retries off). */
  retries: number;
  /** Back-off ceiling of the first retry, in ms; doubles per attempt. */
  baseDelayMs: number;
  /** No single wait is longer than this, and a `Retry-After` above it is not waited for. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 100, maxDelayMs: 2_000 };

/** Statuses worth another try: the upstream (or a proxy in front of it) is briefly unwell. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/** What one attempt ended with: a response status, or an error thrown before any response. */
export type AttemptOutcome = { status: number; retryAfter?: string } | { error: unknown };

/**
 * The wait before retry number `attempt` (1-based), or `undefined` when the
 * outcome is not retryable. "Full jitter" (a uniform draw below the exponential
 * ceiling) spreads the retries of many clients hit by the same outage.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, outcome: AttemptOutcome, random: () => number = Math.random): number | undefined {
  if (attempt > policy.retries) return undefined;
  if ('error' in outcome) {
    if (!isTransportError(outcome.error)) return undefined;
  } else if (!RETRYABLE_STATUSES.has(outcome.status)) {
    return undefined;
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  const asked = 'status' in outcome ? retryAfterMs(outcome.retryAfter) : undefined;
  if (asked === undefined) return jittered;
  // The upstream named its own wait (RFC 9110 §10.2.3); honour it only when it is short.
  return asked <= policy.maxDelayMs ? Math.max(asked, jittered) : undefined;
}

/**
 * Errors where the upstream could not be reached (refused, reset: 502). A
 * timeout (504) already used its whole budget, and the breaker's 503 means
 * "do not ask": neither is retried, so the client hears about it quickly.
 */
function isTransportError(error: unknown): boolean {
  return error instanceof MirrorError && error.name === 'UpstreamError' && error.status === 502;
}

/** `Retry-After` in delay-seconds form, in ms; HTTP dates are not waited for. */
function retryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}

/** Resolves after `ms`, or rejects at once when `signal` aborts (the client left: stop retrying). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
