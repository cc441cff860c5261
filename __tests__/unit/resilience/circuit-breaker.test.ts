import { UpstreamError } from '../../../lib/errors';
import { CircuitBreaker, type CircuitState } from '../../../lib/resilience/circuit-breaker';

function setup(failures = 3, cooldownMs = 1000) {
  let now = 0;
  const changes: CircuitState[] = [];
  const breaker = new CircuitBreaker('reg.example', { failures, cooldownMs }, { now: () => now }, (_h, s) => changes.push(s));
  return { breaker, changes, advance: (ms: number) => (now += ms) };
}

function admitError(breaker: CircuitBreaker): UpstreamError | undefined {
  try {
    breaker.admit();
    return undefined;
  } catch (err) {
    return err as UpstreamError;
  }
}

describe('CircuitBreaker', () => {
  it('opens after consecutive failures and answers 503 with Retry-After', () => {
    const { breaker, advance } = setup();
    breaker.failed();
    breaker.failed();
    expect(admitError(breaker)).toBeUndefined();
    breaker.failed();
    expect(breaker.state).toBe('open');
    advance(400);
    const error = admitError(breaker);
    expect(error?.status).toBe(503);
    expect(error?.headers['Retry-After']).toBe('1');
  });

  it('a success resets the failure count', () => {
    const { breaker } = setup();
    breaker.failed();
    breaker.failed();
    breaker.succeeded();
    breaker.failed();
    breaker.failed();
    expect(breaker.state).toBe('closed');
  });

  it('lets one probe through after the cooldown and closes when it succeeds', () => {
    const { breaker, advance, changes } = setup(1);
    breaker.failed();
    advance(1000);
    expect(breaker.state).toBe('half-open');
    expect(admitError(breaker)).toBeUndefined();
    expect(admitError(breaker)?.status).toBe(503);
    breaker.succeeded();
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('re-opens when the probe fails', () => {
    const { breaker, advance } = setup(2);
    breaker.failed();
    breaker.failed();
    advance(1000);
    breaker.admit();
    breaker.failed();
    expect(breaker.state).toBe('open');
    expect(admitError(breaker)?.status).toBe(503);
  });

  it('admits a new probe when the last one was abandoned by its client', () => {
    const { breaker, advance } = setup(1);
    breaker.failed();
    advance(1000);
    breaker.admit();
    breaker.abandoned();
    expect(admitError(breaker)).toBeUndefined();
  });

  it('never opens with failures set to 0', () => {
    const { breaker } = setup(0);
    for (let i = 0; i < 10; i++) breaker.failed();
    expect(breaker.state).toBe('closed');
  });
});
