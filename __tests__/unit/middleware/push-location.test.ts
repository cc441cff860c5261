import { mirrorLocation } from '../../../lib/middleware/push-location';
import { rawQueryWithout } from '../../../lib/middleware/upload-params';

const request = new URL('https://registry.example/v2/team/app/blobs/uploads/');
const UPLOAD = '/v2/team/app/blobs/uploads/6f1c?_state=a%2Bb%3D%3D&x=1+2';

describe('mirrorLocation', () => {
  it.each([
    ['absolute', `https://registry.example${UPLOAD}`],
    ['relative', UPLOAD],
  ])('makes an %s upstream Location mirror-relative, keeping the opaque query and adding ns', (_kind, location) => {
    expect(mirrorLocation(location, request, { base: '', ns: 'registry.example' })).toBe(`${UPLOAD}&ns=registry.example`);
  });

  it('resolves a path-relative Location against the request and keeps the mount path', () => {
    expect(mirrorLocation('6f1c', request, { base: '/mirror', ns: '127.0.0.1:5000' })).toBe('/mirror/v2/team/app/blobs/uploads/6f1c?ns=127.0.0.1%3A5000');
  });

  it('adds no ns when the client sent none', () => {
    expect(mirrorLocation('/v2/team/app/blobs/sha256:abc', request, { base: '' })).toBe('/v2/team/app/blobs/sha256:abc');
  });

  it.each([
    ['another host', 'https://storage.example/upload?sig=1'],
    ['another scheme', `http://registry.example${UPLOAD}`],
    ['another port', `https://registry.example:444${UPLOAD}`],
    ['a path outside the API', '/uploads/6f1c'],
  ])('refuses a Location on %s', (_what, location) => {
    expect(mirrorLocation(location, request, { base: '', ns: 'registry.example' })).toBeUndefined();
  });
});

describe('rawQueryWithout', () => {
  it('drops every ns, keeps the other parameters byte for byte', () => {
    expect(rawQueryWithout('/v2/a/blobs/uploads/1?_state=a%2Bb%3D&ns=r.io&digest=sha256:1&n%73=x', 'ns')).toBe('?_state=a%2Bb%3D&digest=sha256:1');
  });

  it('answers an empty query when nothing else is left', () => {
    expect(rawQueryWithout('/v2/a/blobs/uploads/?ns=r.io', 'ns')).toBe('');
    expect(rawQueryWithout('/v2/a/blobs/uploads/', 'ns')).toBe('');
  });
});
