import { nextPageUrl } from '../../../lib/referrers/link';

describe('nextPageUrl', () => {
  const base = 'http://reg.example:5000/v2/a/referrers/sha256:1';

  it('resolves a relative next link against the answering URL', () => {
    expect(nextPageUrl('</v2/a/referrers/sha256:1?last=x>; rel="next"', base)?.href).toBe('http://reg.example:5000/v2/a/referrers/sha256:1?last=x');
  });

  it('finds next among several links and relation types', () => {
    expect(nextPageUrl('<http://x/prev>; rel="prev", <http://x/next>; rel="next"', base)?.href).toBe('http://x/next');
    expect(nextPageUrl('<http://x/next>; rel=next', base)?.href).toBe('http://x/next');
  });

  it('answers undefined without a next link', () => {
    expect(nextPageUrl(undefined, base)).toBeUndefined();
    expect(nextPageUrl('<http://x/prev>; rel="prev"', base)).toBeUndefined();
  });
});
