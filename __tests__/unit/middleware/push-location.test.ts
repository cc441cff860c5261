import type { Request } from 'express';
import { mirrorLocation } from '../../../lib/middleware/push-location';
import { mountSource, upstreamQuery } from '../../../lib/middleware/upload-params';
import { selectUpstream } from '../../../lib/upstream/select';
import { DEFAULT_TIMEOUTS, UpstreamSet } from '../../../lib/upstream/upstream';

const set = new UpstreamSet([
  { host: 'registry.example', origin: 'https://registry.example', isDefault: true, timeouts: DEFAULT_TIMEOUTS },
  { host: 'docker.io', origin: 'https://registry-1.docker.io', isDefault: false, timeouts: DEFAULT_TIMEOUTS },
]);
const byNs = selectUpstream(set, { ns: 'registry.example', name: 'team/app' });
const request = new URL('https://registry.example/v2/team/app/blobs/uploads/');
const UPLOAD = '/v2/team/app/blobs/uploads/6f1c?_state=a%2Bb%3D%3D~&x=1+2';

describe('mirrorLocation', () => {
  it.each([
    ['absolute', `https://registry.example${UPLOAD}`],
    ['relative', UPLOAD],
  ])('makes an %s upstream Location mirror-relative, keeping the opaque query byte for byte and adding ns', (_kind, location) => {
    expect(mirrorLocation(location, request, '', byNs)).toBe(`${UPLOAD}&ns=registry.example`);
  });

  it('resolves a path-relative Location against the request and keeps the mount path', () => {
    expect(mirrorLocation('6f1c', request, '/mirror', byNs)).toBe('/mirror/v2/team/app/blobs/uploads/6f1c?ns=registry.example');
  });

  it('answers in the shape the client used: no ns, the registry in the path, or before /v2', () => {
    const location = '/v2/team/app/blobs/sha256:abc';
    expect(mirrorLocation(location, request, '', selectUpstream(set, { name: 'team/app' }))).toBe(location);
    expect(mirrorLocation(location, request, '', selectUpstream(set, { name: 'registry.example/team/app' }))).toBe('/v2/registry.example/team/app/blobs/sha256:abc');
    expect(mirrorLocation(location, request, '', selectUpstream(set, { prefix: 'registry.example', name: 'team/app' }))).toBe('/registry.example/v2/team/app/blobs/sha256:abc');
  });

  it("puts the client's own ns in place of one the upstream wrote, so its Location cannot steer the next write to another registry", () => {
    const location = '/v2/team/app/blobs/uploads/6f1c?_state=a%2Bb&ns=docker.io&n%73=docker.io';
    expect(mirrorLocation(location, request, '', byNs)).toBe('/v2/team/app/blobs/uploads/6f1c?_state=a%2Bb&ns=registry.example');
    expect(mirrorLocation(location, request, '', selectUpstream(set, { name: 'team/app' }))).toBe('/v2/team/app/blobs/uploads/6f1c?_state=a%2Bb');
    expect(mirrorLocation('/v2/team/app/blobs/uploads/6f1c?ns=docker.io', request, '', selectUpstream(set, { name: 'team/app' }))).toBe('/v2/team/app/blobs/uploads/6f1c');
  });

  it.each([
    ['another host', 'https://storage.example/upload?sig=1'],
    ['another scheme', `http://registry.example${UPLOAD}`],
    ['another port', `https://registry.example:444${UPLOAD}`],
    ['a path outside the API', '/uploads/6f1c'],
  ])('refuses a Location on %s', (_what, location) => {
    expect(mirrorLocation(location, request, '', byNs)).toBeUndefined();
  });
});

describe('the upload query sent upstream', () => {
  it('drops every ns and keeps the other parameters byte for byte', () => {
    expect(upstreamQuery('/v2/a/blobs/uploads/1?_state=a%2Bb%3D~&ns=r.io&digest=sha256:1&n%73=x')).toBe('?_state=a%2Bb%3D~&digest=sha256:1');
    expect(upstreamQuery('/v2/a/blobs/uploads/?ns=r.io')).toBe('');
    expect(upstreamQuery('/v2/a/blobs/uploads/')).toBe('');
  });

  it("names a mount's source repository as the upstream does", () => {
    const post = (query: Record<string, string>) => ({ method: 'POST', query }) as unknown as Request;
    const mount = { mount: 'sha256:1', from: 'registry.example/base/image' };
    expect(mountSource(post(mount), selectUpstream(set, { name: 'registry.example/team/app' }))).toBe('base/image');
    expect(mountSource(post({ ...mount, from: 'redis' }), selectUpstream(set, { ns: 'docker.io', name: 'team/app' }))).toBe('library/redis');
    expect(mountSource(post({ from: 'base/image' }), byNs)).toBeUndefined();
    expect(upstreamQuery('/v2/a/blobs/uploads/?mount=sha256:1&from=redis&ns=docker.io', 'library/redis')).toBe('?mount=sha256:1&from=library/redis');
  });
});
