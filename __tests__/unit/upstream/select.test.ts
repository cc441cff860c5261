import { MirrorError } from '../../../lib/errors';
import { clientPath, registryOfSegment, selectUpstream, upstreamRepository, type RegistryHints } from '../../../lib/upstream/select';
import { DEFAULT_TIMEOUTS, UpstreamSet, type Upstream } from '../../../lib/upstream/upstream';

const make = (host: string, isDefault = false): Upstream => ({ host, origin: `http://${host}`, isDefault, timeouts: DEFAULT_TIMEOUTS });
const set = new UpstreamSet([make('docker.io', true), make('ghcr.io'), make('127.0.0.1:5000')]);

function failure(hints: RegistryHints): MirrorError {
  try {
    selectUpstream(set, hints);
  } catch (err) {
    if (err instanceof MirrorError) return err;
    throw err;
  }
  throw new Error('selectUpstream did not throw');
}

describe('selectUpstream', () => {
  it('shape 1: ns names the registry and the path is the repository', () => {
    expect(selectUpstream(set, { ns: 'ghcr.io', name: 'owner/app' })).toMatchObject({ shape: 'ns', repository: 'owner/app', ns: 'ghcr.io' });
    expect(selectUpstream(set, { ns: 'GHCR.IO', name: 'owner/app' }).upstream.host).toBe('ghcr.io');
  });

  it('shape 1: an ns with a declared registry as first segment keeps the whole name (ns wins)', () => {
    expect(selectUpstream(set, { ns: '127.0.0.1:5000', name: 'docker.io/library/redis' })).toMatchObject({ shape: 'ns', repository: 'docker.io/library/redis' });
  });

  it('shape 2: a first segment naming a declared registry selects it', () => {
    const s = selectUpstream(set, { name: 'ghcr.io/owner/app' });
    expect(s).toMatchObject({ shape: 'path', repository: 'owner/app', segment: 'ghcr.io' });
    expect(s.upstream.host).toBe('ghcr.io');
  });

  it('shape 2: a registry with a port is accepted with _ for : and with :', () => {
    expect(selectUpstream(set, { name: '127.0.0.1_5000/testenv/single' })).toMatchObject({ shape: 'path', repository: 'testenv/single', segment: '127.0.0.1_5000' });
    expect(selectUpstream(set, { name: '127.0.0.1:5000/testenv/single' }).upstream.host).toBe('127.0.0.1:5000');
  });

  it('shape 2: an undeclared first segment is part of the repository on the default registry', () => {
    const s = selectUpstream(set, { name: 'quay.io/owner/app' });
    expect(s).toMatchObject({ shape: 'default', repository: 'quay.io/owner/app' });
    expect(s.upstream.host).toBe('docker.io');
  });

  it('shape 2: a declared registry name alone is a repository name, not a prefix', () => {
    expect(selectUpstream(set, { name: 'ghcr.io' })).toMatchObject({ shape: 'default', repository: 'library/ghcr.io' });
  });

  it('shape 3: the prefix names the registry; with an agreeing ns too', () => {
    expect(selectUpstream(set, { prefix: 'ghcr.io', name: 'owner/app' })).toMatchObject({ shape: 'prefix', repository: 'owner/app', segment: 'ghcr.io' });
    expect(selectUpstream(set, { prefix: '127.0.0.1_5000', ns: '127.0.0.1:5000', name: 'a' })).toMatchObject({ shape: 'prefix', repository: 'a', ns: '127.0.0.1:5000' });
    expect(selectUpstream(set, { prefix: '127.0.0.1:5000', name: 'a' }).upstream.host).toBe('127.0.0.1:5000');
  });

  it('shape 3: the repository after the prefix is never read as a registry', () => {
    expect(selectUpstream(set, { prefix: '127.0.0.1:5000', name: 'ghcr.io/a' })).toMatchObject({ repository: 'ghcr.io/a' });
  });

  it('shape 4: no hint goes to the default registry', () => {
    expect(selectUpstream(set, { name: 'library/redis' })).toMatchObject({ shape: 'default', repository: 'library/redis' });
  });

  it('answers 404 NAME_UNKNOWN for an undeclared ns or prefix', () => {
    expect(failure({ ns: 'evil.example', name: 'a' })).toMatchObject({ status: 404, code: 'NAME_UNKNOWN' });
    expect(failure({ prefix: 'evil.example', name: 'a' })).toMatchObject({ status: 404, code: 'NAME_UNKNOWN' });
    expect(failure({ prefix: '127.0.0.1_5001', name: 'a' })).toMatchObject({ status: 404, code: 'NAME_UNKNOWN' });
  });

  it('answers 400 when ns and the prefix name different registries', () => {
    expect(failure({ prefix: 'ghcr.io', ns: 'docker.io', name: 'a' })).toMatchObject({ status: 400 });
  });
});

describe('registryOfSegment', () => {
  it('decodes the last _<port> only when the result is declared', () => {
    expect(registryOfSegment(set, '127.0.0.1_5000')?.host).toBe('127.0.0.1:5000');
    expect(registryOfSegment(set, '127.0.0.1_50000')).toBeUndefined();
    expect(registryOfSegment(set, 'my_repo')).toBeUndefined();
    expect(registryOfSegment(set, '127_0_0_1_5000')).toBeUndefined();
  });
});

describe('upstreamRepository', () => {
  it('adds library/ to single names on docker.io only', () => {
    expect(upstreamRepository(make('docker.io'), 'redis')).toBe('library/redis');
    expect(upstreamRepository(make('docker.io'), 'bitnami/redis')).toBe('bitnami/redis');
    expect(upstreamRepository(make('ghcr.io'), 'redis')).toBe('redis');
    expect(selectUpstream(set, { prefix: 'docker.io', name: 'redis' }).repository).toBe('library/redis');
  });
});

describe('clientPath', () => {
  const link = '/v2/owner/app/tags/list?last=b&n=2';
  it('keeps the ns of a shape 1 request', () => {
    expect(clientPath(selectUpstream(set, { ns: 'ghcr.io', name: 'owner/app' }), link)).toBe('/v2/owner/app/tags/list?last=b&n=2&ns=ghcr.io');
  });
  it('puts the registry back after /v2 for shape 2, as the client wrote it', () => {
    expect(clientPath(selectUpstream(set, { name: '127.0.0.1_5000/owner/app' }), link)).toBe('/v2/127.0.0.1_5000/owner/app/tags/list?last=b&n=2');
  });
  it('puts the prefix back before /v2 for shape 3, with its ns', () => {
    const s = selectUpstream(set, { prefix: 'ghcr.io', ns: 'ghcr.io', name: 'owner/app' });
    expect(clientPath(s, link)).toBe('/ghcr.io/v2/owner/app/tags/list?last=b&n=2&ns=ghcr.io');
  });
  it('leaves a shape 4 link as the upstream wrote it', () => {
    expect(clientPath(selectUpstream(set, { name: 'owner/app' }), link)).toBe(link);
  });
});
