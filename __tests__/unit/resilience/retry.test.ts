import { UpstreamError, MirrorError } from '../../../lib/errors';
import { retryDelay, type RetryPolicy } from '../../../lib/resilience/retry';

const policy: RetryPolicy = { retries: 2, baseDelayMs: 100, maxDelayMs: 1000 };
const unreachable = new UpstreamError(502, 'UNAVAILABLE', 'refused');

describe('retryDelay', () => {
  it('draws a jittered delay below the doubling ceiling', () => {
    expect(retryDelay(policy, 1, { error: unreachable }, () => 0.5)).toBe(50);
    expect(retryDelay(policy, 2, { error: unreachable }, () => 0.5)).toBe(100);
    expect(retryDelay(policy, 2, { error: unreachable }, () => 0.999)).toBe(199);
  });

  it('stops after the configured number of retries', () => {
    expect(retryDelay(policy, 3, { error: unreachable }, () => 0.5)).toBeUndefined();
    expect(retryDelay({ ...policy, retries: 0 }, 1, { status: 503 })).toBeUndefined();
  });

  it('retries 429, 502, 503 and 504 answers but not 500, 404 or 401', () => {
    for (const status of [429, 502, 503, 504]) expect(retryDelay(policy, 1, { status }, () => 0)).toBe(0);
    for (const status of [500, 404, 401, 200]) expect(retryDelay(policy, 1, { status })).toBeUndefined();
  });

  it('does not retry timeouts, the open breaker or errors that are not upstream failures', () => {
    expect(retryDelay(policy, 1, { error: new UpstreamError(504, 'UNAVAILABLE', 'timeout') })).toBeUndefined();
    expect(retryDelay(policy, 1, { error: new UpstreamError(503, 'UNAVAILABLE', 'open') })).toBeUndefined();
    expect(retryDelay(policy, 1, { error: new MirrorError(502, 'UNAVAILABLE', 'not upstream') })).toBeUndefined();
    expect(retryDelay(policy, 1, { error: new Error('aborted') })).toBeUndefined();
  });

  it('honours a short Retry-After and gives up on a long one', () => {
    expect(retryDelay(policy, 1, { status: 429, retryAfter: '1' }, () => 0)).toBe(1000);
    expect(retryDelay(policy, 1, { status: 429, retryAfter: '5' }, () => 0)).toBeUndefined();
  });
});
