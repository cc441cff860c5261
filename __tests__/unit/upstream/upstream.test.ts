import { defaultCatalog } from '../../../lib/catalog';
import { compileRunmd } from '../../../lib/runmd/compile';
import { parseRunmd } from '../../../lib/runmd/parse';
import { upstreamsFromConfig } from '../../../lib/upstream/from-config';
import { parseRegistryAddress } from '../../../lib/oci/registry-address';
import { UpstreamSet, DEFAULT_TIMEOUTS } from '../../../lib/upstream/upstream';

describe('parseRegistryAddress', () => {
  it('treats a bare host as https', () => {
    expect(parseRegistryAddress('example.azurecr.io')).toEqual({ host: 'example.azurecr.io', origin: 'https://example.azurecr.io' });
  });
  it('keeps the scheme and port of a URL', () => {
    expect(parseRegistryAddress('http://127.0.0.1:5000')).toEqual({ host: '127.0.0.1:5000', origin: 'http://127.0.0.1:5000' });
  });
  it('maps docker.io to the host Docker Hub serves from', () => {
    expect(parseRegistryAddress('docker.io').origin).toBe('https://registry-1.docker.io');
  });
  it('lowercases the host', () => {
    expect(parseRegistryAddress('Example.AzureCR.io').host).toBe('example.azurecr.io');
  });
  it.each(['', 'ftp://x', 'http://u:p@host', 'host/path', 'http://host?x=1'])('rejects "%s" with a reason', (input) => {
    expect(() => parseRegistryAddress(input)).toThrow(/registry|scheme|bare/);
  });
});

describe('UpstreamSet.select', () => {
  const make = (host: string, isDefault = false) => ({ host, origin: `http://${host}`, isDefault, timeouts: DEFAULT_TIMEOUTS });
  const set = new UpstreamSet([make('a.io'), make('127.0.0.1:5000', true)]);

  it('selects by exact host and port', () => {
    expect(set.select('127.0.0.1:5000')?.host).toBe('127.0.0.1:5000');
    expect(set.select('127.0.0.1:5001')).toBeUndefined();
    expect(set.select('127.0.0.1')).toBeUndefined();
  });
  it('falls back to the default upstream without ns', () => {
    expect(set.select(undefined)?.host).toBe('127.0.0.1:5000');
  });
  it('uses the first upstream when none is marked default', () => {
    expect(new UpstreamSet([make('a.io'), make('b.io')]).select(undefined)?.host).toBe('a.io');
  });
});

describe('upstream timeouts from .mirror properties', () => {
  const compile = (lines: string) => upstreamsFromConfig(compileRunmd(parseRunmd(`\`\`\` start mirror\n+ .runtime\n: .mirror http://127.0.0.1:5000\n${lines}\`\`\`\n`), defaultCatalog).mirrors)[0]!.timeouts;

  it('reads .manifest_timeout and .min_rate', () => {
    const timeouts = compile(': .manifest_timeout 10s\n: .min_rate 64KiB/s 5s\n');
    expect(timeouts.manifest).toBe(10_000);
    expect(timeouts.minRate).toEqual({ bytesPerSecond: 65_536, windowMs: 5_000 });
  });
  it('defaults to a 30 s manifest deadline and 16 KiB/s over 30 s', () => {
    expect(compile('')).toMatchObject({ manifest: 30_000, minRate: { bytesPerSecond: 16_384, windowMs: 30_000 } });
  });
  it('turns the rate check off with "off"', () => {
    expect(compile(': .min_rate off\n').minRate.bytesPerSecond).toBe(0);
  });
  it.each(['16KiB', 'fast/s', '16KiB/s 5s extra'])('rejects .min_rate %s with its position', (input) => {
    expect(() => compile(`: .min_rate ${input}\n`)).toThrow(/\.min_rate takes bytes per second/);
  });
});
