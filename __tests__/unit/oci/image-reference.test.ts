import { formatImageReference, parseImageReference, referenceOf } from '../../../lib/oci/image-reference';

const HEX = 'b'.repeat(64);

describe('image references', () => {
  it.each([
    ['redis:7', { registry: 'docker.io', repository: 'library/redis', tag: '7' }],
    ['redis', { registry: 'docker.io', repository: 'library/redis', tag: 'latest' }],
    ['bitnami/redis:7.2', { registry: 'docker.io', repository: 'bitnami/redis', tag: '7.2' }],
    ['docker.io/redis:7', { registry: 'docker.io', repository: 'library/redis', tag: '7' }],
    ['127.0.0.1:5000/multi:v1', { registry: '127.0.0.1:5000', repository: 'multi', tag: 'v1' }],
    ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest' }],
    ['Example.azurecr.io/team/app:v2', { registry: 'example.azurecr.io', repository: 'team/app', tag: 'v2' }],
    [`127.0.0.1:5000/app@sha256:${HEX}`, { registry: '127.0.0.1:5000', repository: 'app', digest: `sha256:${HEX}` }],
    [`app:v1@sha256:${HEX}`, { registry: 'docker.io', repository: 'library/app', tag: 'v1', digest: `sha256:${HEX}` }],
  ])('reads %s', (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it.each(['', 'Redis:7', 'host:5000/a/../b:v1', 'redis:', 'redis:.bad', 'redis@sha256:short', 'a b'])('rejects "%s" with a reason', (text) => {
    expect(() => parseImageReference(text)).toThrow(/reference|tag|digest/);
  });

  it('asks the registry for the digest when one is pinned, else the tag', () => {
    expect(referenceOf(parseImageReference(`app:v1@sha256:${HEX}`))).toBe(`sha256:${HEX}`);
    expect(referenceOf(parseImageReference('app:v1'))).toBe('v1');
  });

  it('writes a reference out in full', () => {
    expect(formatImageReference(parseImageReference('redis:7'))).toBe('docker.io/library/redis:7');
  });
});
