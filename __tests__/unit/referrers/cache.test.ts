import { ReferrersCache } from '../../../lib/referrers/cache';
import type { DiscoveryResult } from '../../../lib/referrers/discover';

const key = { registry: 'r', repository: 'a', digest: 'sha256:1', artifactTypes: ['t'] };
const found: DiscoveryResult = { referrers: [], method: 'api' };

function setup() {
  let now = 1_000;
  const clock = { now: () => now };
  const cache = new ReferrersCache(clock, { ttlMs: 30_000, failureTtlMs: 5_000, maxEntries: 2 });
  return { cache, advance: (ms: number) => (now += ms) };
}

describe('ReferrersCache', () => {
  it('shares one lookup between concurrent callers', async () => {
    const { cache } = setup();
    let calls = 0;
    let release: (r: DiscoveryResult) => void = () => undefined;
    const load = () => (calls++, new Promise<DiscoveryResult>((resolve) => (release = resolve)));
    const both = Promise.all([cache.get(key, load), cache.get(key, load)]);
    release(found);
    await both;
    expect(calls).toBe(1);
    expect(cache.stats).toEqual({ hits: 1, lookups: 1, failures: 0 });
  });

  it('looks up again once the answer is older than the TTL', async () => {
    const { cache, advance } = setup();
    const load = jest.fn(async () => found);
    await cache.get(key, load);
    advance(29_999);
    await cache.get(key, load);
    advance(2);
    await cache.get(key, load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('keeps a failure only for the failure TTL', async () => {
    const { cache, advance } = setup();
    const load = jest.fn(async (): Promise<DiscoveryResult> => {
      throw new Error('boom');
    });
    await expect(cache.get(key, load)).rejects.toThrow('boom');
    await expect(cache.get(key, load)).rejects.toThrow('boom');
    advance(5_001);
    await expect(cache.get(key, load)).rejects.toThrow('boom');
    expect(load).toHaveBeenCalledTimes(2);
    expect(cache.stats.failures).toBe(2);
  });

  it('keys by registry, repository, digest and the set of types', async () => {
    const { cache } = setup();
    const load = jest.fn(async () => found);
    await cache.get(key, load);
    await cache.get({ ...key, artifactTypes: ['t'] }, load);
    await cache.get({ ...key, repository: 'b' }, load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('evicts the oldest entry beyond maxEntries', async () => {
    const { cache } = setup();
    const load = jest.fn(async () => found);
    for (const digest of ['sha256:1', 'sha256:2', 'sha256:3', 'sha256:1']) await cache.get({ ...key, digest }, load);
    expect(load).toHaveBeenCalledTimes(4);
  });
});
