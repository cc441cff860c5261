import { assertReference, isValidDigest, isValidName, isValidTag } from '../../../lib/oci/reference';
import { MirrorError } from '../../../lib/errors';

const HEX = 'a'.repeat(64);

describe('repository names', () => {
  it.each(['redis', 'library/redis', 'a/b/c', 'my-app', 'my__app', 'a.b_c-d/e'])('accepts %s', (name) => {
    expect(isValidName(name)).toBe(true);
  });
  it.each(['', 'Redis', '../etc', 'a//b', '/a', 'a/', 'a/../b', '-a', 'a..b', 'a%2Fb', 'a b'])('rejects "%s"', (name) => {
    expect(isValidName(name)).toBe(false);
  });
  it('rejects names longer than 255 characters', () => {
    expect(isValidName('a'.repeat(255))).toBe(true);
    expect(isValidName('a'.repeat(256))).toBe(false);
  });
});

describe('tags', () => {
  it.each(['v1', 'latest', '1.0.0-rc_1', '_x', 'A'.repeat(128)])('accepts %s', (tag) => {
    expect(isValidTag(tag)).toBe(true);
  });
  it.each(['', '.v1', '-v1', 'v/1', 'A'.repeat(129)])('rejects "%s"', (tag) => {
    expect(isValidTag(tag)).toBe(false);
  });
});

describe('digests', () => {
  it('accepts sha256 with 64 lowercase hex characters', () => {
    expect(isValidDigest(`sha256:${HEX}`)).toBe(true);
  });
  it.each([`sha256:${'A'.repeat(64)}`, `sha256:${HEX}0`, 'sha256:abc', `sha256:${'g'.repeat(64)}`, `:${HEX}`, `sha256${HEX}`])(
    'rejects %s',
    (digest) => {
      expect(isValidDigest(digest)).toBe(false);
    },
  );
  it('accepts an unregistered algorithm that matches the grammar', () => {
    expect(isValidDigest('multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8')).toBe(true);
  });
});

describe('assertReference', () => {
  it('tells tags from digests', () => {
    expect(assertReference('v1')).toBe('tag');
    expect(assertReference(`sha256:${HEX}`)).toBe('digest');
  });
  it('throws 400 DIGEST_INVALID for a malformed digest and 404 MANIFEST_UNKNOWN for a reference that is no tag', () => {
    expect(() => assertReference('sha256:xyz')).toThrow(expect.objectContaining({ code: 'DIGEST_INVALID', status: 400 }));
    expect(() => assertReference('.bad')).toThrow(MirrorError);
    expect(() => assertReference('.bad')).toThrow(expect.objectContaining({ code: 'MANIFEST_UNKNOWN', status: 404 }));
    expect(() => assertReference('.INVALID_MANIFEST_NAME')).toThrow(expect.objectContaining({ code: 'MANIFEST_UNKNOWN', status: 404 }));
  });
});
