import { LruIndex } from '../../../lib/cache/lru-index';

describe('LruIndex', () => {
  it('tracks the total size and evicts least recently used first', () => {
    const index = new LruIndex();
    index.add('a', 10, 1);
    index.add('b', 20, 2);
    index.add('c', 30, 3);
    index.touch('a', 4);
    expect(index.size).toBe(60);
    const evicted = index.evictTo(35);
    expect(evicted.map((e) => e.key)).toEqual(['b', 'c']);
    expect(index.size).toBe(10);
    expect([...index.values()].map((e) => e.key)).toEqual(['a']);
  });

  it('never evicts the entry it was told to keep', () => {
    const index = new LruIndex();
    index.add('old', 10, 1);
    index.add('new', 100, 2);
    expect(index.evictTo(50, 'old').map((e) => e.key)).toEqual(['new']);
  });

  it('replaces an entry added twice without counting it twice', () => {
    const index = new LruIndex();
    index.add('a', 10, 1);
    index.add('a', 12, 2);
    expect(index.size).toBe(12);
    expect(index.count).toBe(1);
    expect(index.remove('a')?.size).toBe(12);
    expect(index.size).toBe(0);
  });
});
