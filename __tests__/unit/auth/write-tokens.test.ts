import { writeScopes } from '../../../lib/auth/scope';
import { TokenCache, type TokenKey } from '../../../lib/auth/token-cache';
import { TagCache } from '../../../lib/cache/tag-cache';

describe('writeScopes', () => {
  it('asks pull,push for uploads and manifest PUTs, delete for DELETE', () => {
    expect(writeScopes('POST', 'team/app')).toEqual(['repository:team/app:pull,push']);
    expect(writeScopes('PUT', 'team/app')).toEqual(['repository:team/app:pull,push']);
    expect(writeScopes('DELETE', 'team/app')).toEqual(['repository:team/app:delete']);
  });

  it('adds pull on the source repository of a cross-repository mount', () => {
    expect(writeScopes('POST', 'team/app', 'base/image')).toEqual(['repository:team/app:pull,push', 'repository:base/image:pull']);
  });
});

describe('TokenCache for writes', () => {
  const key: TokenKey = { realm: 'https://auth/token', service: 'reg', scope: 'repository:a:pull,push', identity: 'id' };
  let now = 0;
  const cache = new TokenCache({ now: () => now });
  let fetched = 0;
  const fetch = async () => ({ token: `t${++fetched}`, expiresIn: 300 });

  it('starts a write only with at least a minute (or half the lifetime) of the token left', async () => {
    now = 0;
    expect(await cache.get(key, fetch, { write: true })).toBe('t1');
    now = 239_000;
    expect(await cache.get(key, fetch, { write: true })).toBe('t1');
    now = 241_000;
    // A read may still use it (refreshed 30 s before expiry); a write may not.
    expect(await cache.get(key, fetch)).toBe('t1');
    expect(await cache.get(key, fetch, { write: true })).toBe('t2');
  });

  it('gives a short-lived token to writes for half its life', async () => {
    const short = { ...key, scope: 'repository:b:pull,push' };
    const fetchShort = async () => ({ token: `s${++fetched}`, expiresIn: 20 });
    now = 1_000_000;
    const first = await cache.get(short, fetchShort, { write: true });
    now += 9_000;
    expect(await cache.get(short, fetchShort, { write: true })).toBe(first);
    now += 2_000;
    expect(await cache.get(short, fetchShort, { write: true })).not.toBe(first);
  });
});

describe('TagCache invalidation', () => {
  const entry = { digest: 'sha256:1', mediaType: 'm', size: 1 };

  it('forgets a tag under every Accept, and the tags of a deleted digest, in one repository only', () => {
    const tags = new TagCache(30_000, { now: () => 0 });
    const keys = [TagCache.key('r', 'a', 'v1', 'x'), TagCache.key('r', 'a', 'v1', 'y'), TagCache.key('r', 'a', 'v10', 'x'), TagCache.key('r', 'b', 'v1', 'x')];
    for (const key of keys) tags.set(key, entry);
    tags.forgetTag('r', 'a', 'v1');
    expect(keys.map((k) => tags.get(k) !== undefined)).toEqual([false, false, true, true]);
    tags.forgetDigest('r', 'a', 'sha256:1');
    expect(keys.map((k) => tags.get(k) !== undefined)).toEqual([false, false, false, true]);
  });
});
