import { editDistance, suggest } from '../../../lib/runmd/suggest';

const plugins = ['runtime', 'proxy', 'pull', 'push', 'login', 'manifests', 'blobs'];

describe('suggest', () => {
  it('offers the name one edit away', () => {
    expect(suggest('pul', plugins)).toBe('pull');
  });

  it('offers a name with two letters swapped', () => {
    expect(suggest('lgoin', plugins)).toBe('login');
  });

  it('ignores case when comparing', () => {
    expect(suggest('Proxy', plugins)).toBe('proxy');
  });

  it('allows more edits for longer names', () => {
    expect(suggest('manfest', plugins)).toBe('manifests');
  });

  it('offers nothing for an unrelated name', () => {
    expect(suggest('teleport', plugins)).toBeUndefined();
    expect(suggest('x', plugins)).toBeUndefined();
  });

  it('offers nothing for a name that is already known', () => {
    expect(suggest('pull', plugins)).toBeUndefined();
  });

  it('prefers the closest name, then the earlier one', () => {
    expect(suggest('pushh', plugins)).toBe('push');
    expect(suggest('pulx', ['pull', 'push'])).toBe('pull');
    expect(suggest('pulx', ['push', 'pull'])).toBe('pull');
    expect(suggest('pus', ['pull', 'push'])).toBe('push');
    expect(suggest('pul_', ['pulb', 'pull'])).toBe('pulb');
  });

  it('offers nothing from an empty list', () => {
    expect(suggest('pull', [])).toBeUndefined();
  });
});

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['login', 'lgoin', 1],
    ['pull', 'pull', 0],
  ])('between "%s" and "%s" is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
});
