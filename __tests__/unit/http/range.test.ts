import { ifRangeMatches, parseRange } from '../../../lib/http/range';

describe('parseRange', () => {
  it.each([
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=5-', { start: 5, end: 99 }],
    ['bytes=90-200', { start: 90, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    // The unit is case-insensitive (RFC 9110 section 14.1).
    ['Bytes=0-', { start: 0, end: 99 }],
    ['BYTES=-10', { start: 90, end: 99 }],
  ])('reads %s of a 100-byte blob', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected);
  });

  it('answers unsatisfiable for a range that starts past the end', () => {
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
  });

  it('ignores what a server may ignore: other units, several ranges, bad syntax', () => {
    for (const header of [undefined, 'items=0-1', 'bytes=0-1,5-6', 'bytes=9-3', 'bytes=-', 'bytes=a-b']) {
      expect(parseRange(header, 100)).toBeUndefined();
    }
  });

  it('accepts If-Range only with the digest as ETag', () => {
    expect(ifRangeMatches(undefined, 'sha256:x')).toBe(true);
    expect(ifRangeMatches('"sha256:x"', 'sha256:x')).toBe(true);
    expect(ifRangeMatches('"other"', 'sha256:x')).toBe(false);
  });
});
