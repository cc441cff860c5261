import { TokenCache, type IssuedToken, type TokenKey } from '../../../lib/auth/token-cache';

function jwtWithExp(expSeconds: number): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ exp: expSeconds })}.sig`;
}

describe('TokenCache', () => {
  const key: TokenKey = { realm: 'https://auth/token', service: 'reg', scope: 'repository:a:pull', identity: 'id1' };
  let now: number;
  let cache: TokenCache;
  let issued: number;
  const fetchAfter = (token: string, expiresIn?: number) => async (): Promise<IssuedToken> => {
    issued++;
    await new Promise((resolve) => setImmediate(resolve));
    return { token, expiresIn };
  };

  beforeEach(() => {
    now = 1_000_000;
    issued = 0;
    cache = new TokenCache({ now: () => now });
  });

  it('shares one fetch between concurrent callers of the same key', async () => {
    const tokens = await Promise.all(Array.from({ length: 100 }, () => cache.get(key, fetchAfter('t1', 300))));
    expect(new Set(tokens)).toEqual(new Set(['t1']));
    expect(issued).toBe(1);
  });

  it('keeps keys apart by scope and by credential identity', async () => {
    await cache.get(key, fetchAfter('a', 300));
    await cache.get({ ...key, scope: 'repository:b:pull' }, fetchAfter('b', 300));
    await cache.get({ ...key, identity: 'id2' }, fetchAfter('c', 300));
    expect(issued).toBe(3);
    expect(await cache.get(key, fetchAfter('unused', 300))).toBe('a');
  });

  it('reuses a token until shortly before expires_in, then fetches a new one', async () => {
    await cache.get(key, fetchAfter('first', 300));
    now += 269_000;
    expect(await cache.get(key, fetchAfter('second', 300))).toBe('first');
    now += 2_000;
    expect(await cache.get(key, fetchAfter('second', 300))).toBe('second');
  });

  it('defaults to 60 seconds without expires_in or a JWT exp', async () => {
    await cache.get(key, fetchAfter('opaque'));
    now += 50_000;
    expect(await cache.get(key, fetchAfter('next'))).toBe('opaque');
    now += 5_000;
    expect(await cache.get(key, fetchAfter('next'))).toBe('next');
  });

  it('takes the expiry from the JWT exp claim when expires_in is absent (ACR)', async () => {
    const jwt = jwtWithExp(now / 1000 + 3600);
    await cache.get(key, fetchAfter(jwt));
    now += 3_000_000;
    expect(await cache.get(key, fetchAfter('next'))).toBe(jwt);
    now += 580_000;
    expect(await cache.get(key, fetchAfter('next'))).toBe('next');
  });

  it('drops a token the registry rejected, but not a newer one', async () => {
    await cache.get(key, fetchAfter('old', 300));
    expect(cache.invalidate(key, 'old')).toBe(true);
    expect(await cache.get(key, fetchAfter('new', 300))).toBe('new');
    expect(cache.invalidate(key, 'old')).toBe(false);
    expect(await cache.get(key, fetchAfter('newer', 300))).toBe('new');
  });

  it('does not cache a failed fetch', async () => {
    await expect(cache.get(key, () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get(key, fetchAfter('ok', 300))).toBe('ok');
  });
});
