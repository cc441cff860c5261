import type { Line } from '../../../lib/runmd/ast';
import { cacheSettings, parseSize } from '../../../lib/cache/settings';
import { resilienceSettings } from '../../../lib/resilience/settings';
import { RunmdError } from '../../../lib/runmd/errors';

const pos = { file: 'm.runmd', line: 3, column: 3 };
const line = (name: string, input: string): Line => ({ name, input, indent: 0, pos, inputPos: { ...pos, column: 10 } });

describe('cache settings', () => {
  it('is on by default under <home>/cache with a 10 GiB cap and a 30 s tag TTL', () => {
    expect(cacheSettings([], '/srv/m')).toEqual({ dir: '/srv/m/cache', maxBytes: 10 * 1024 ** 3, tagTtlMs: 30_000, scope: 'repository' });
  });

  it('reads a directory relative to home and a size', () => {
    expect(cacheSettings([line('cache', 'blobs 512MiB'), line('tag_ttl', '5s')], '/srv/m')).toEqual({ dir: '/srv/m/blobs', maxBytes: 512 * 1024 ** 2, tagTtlMs: 5000, scope: 'repository' });
  });

  it('turns the cache and the tag TTL off with "off"', () => {
    expect(cacheSettings([line('cache', 'off')], '/srv/m')).toEqual({ dir: undefined, maxBytes: 10 * 1024 ** 3, tagTtlMs: 0, scope: 'repository' });
  });

  it('reads .cache_scope and refuses other values', () => {
    expect(cacheSettings([line('cache_scope', 'registry')], '/h').scope).toBe('registry');
    expect(() => cacheSettings([line('cache_scope', 'global')], '/h')).toThrow(/\.cache_scope takes "repository" \(the default\) or "registry"/);
  });

  it('rejects a bad size with the position of the line', () => {
    expect(() => cacheSettings([line('cache', '/c lots')], '/h')).toThrow(RunmdError);
    expect(() => cacheSettings([line('cache', '/c lots')], '/h')).toThrow(/m\.runmd:3:10.*"lots" is not a size/);
  });

  it.each([
    ['1024', 1024],
    ['2G', 2 * 1024 ** 3],
    ['500MB', 500_000_000],
    ['1.5KiB', 1536],
  ])('parses the size %s', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });
});

describe('resilience settings', () => {
  it('reads retries, the circuit and the download limits', () => {
    const s = resilienceSettings([line('retries', '0'), line('circuit', '3 2s'), line('downloads', '4 10')]);
    expect(s.retry.retries).toBe(0);
    expect(s.breaker).toEqual({ failures: 3, cooldownMs: 2000 });
    expect(s.limiter).toMatchObject({ concurrent: 4, queued: 10 });
  });

  it('turns the breaker off and rejects a zero download limit', () => {
    expect(resilienceSettings([line('circuit', 'off')]).breaker.failures).toBe(0);
    expect(() => resilienceSettings([line('downloads', '0')])).toThrow(/concurrent downloads/);
  });

  it('bounds client connections at 1024 unless .connections says otherwise', () => {
    expect(resilienceSettings([]).maxConnections).toBe(1024);
    expect(resilienceSettings([line('connections', '64')]).maxConnections).toBe(64);
    expect(() => resilienceSettings([line('connections', '0')])).toThrow(/most client connections/);
    expect(() => resilienceSettings([line('connections', 'many')])).toThrow(RunmdError);
  });
});
