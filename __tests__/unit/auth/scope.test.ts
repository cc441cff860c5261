import { normalizeScopes, parseScope, repositoryScope } from '../../../lib/auth/scope';

describe('scopes', () => {
  it('builds the pull scope of a repository', () => {
    expect(repositoryScope('library/redis')).toBe('repository:library/redis:pull');
  });

  it('parses a name that contains a registry port without splitting it', () => {
    expect(parseScope('repository:localhost:5000/app:pull,push')).toEqual({ type: 'repository', name: 'localhost:5000/app', actions: ['pull', 'push'] });
  });

  it.each(['repository', 'repository:name', 'repository:name:', ':name:pull'])('rejects %p', (text) => {
    expect(() => parseScope(text)).toThrow(/not a scope/);
  });

  it('merges actions on one resource and sorts, so equal sets give equal keys', () => {
    expect(normalizeScopes(['repository:b:push', 'repository:a:pull repository:b:pull'])).toEqual(['repository:a:pull', 'repository:b:pull,push']);
    expect(normalizeScopes(['repository:b:pull,push', 'repository:a:pull'])).toEqual(normalizeScopes(['repository:a:pull', 'repository:b:push,pull']));
  });
});
