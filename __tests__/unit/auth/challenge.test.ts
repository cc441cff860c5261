import { parseChallenges } from '../../../lib/auth/challenge';

describe('parseChallenges', () => {
  it('reads a Bearer challenge whose quoted scope holds a comma', () => {
    const [challenge, ...rest] = parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"');
    expect(rest).toEqual([]);
    expect(challenge).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    });
  });

  it('reads several challenges in one header', () => {
    const challenges = parseChallenges('Basic realm="basic, realm", Bearer realm="https://t/token", service=reg');
    expect(challenges.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(challenges[0]?.params).toEqual({ realm: 'basic, realm' });
    expect(challenges[1]?.params).toEqual({ realm: 'https://t/token', service: 'reg' });
  });

  it('unescapes quoted pairs and lowercases scheme and parameter names', () => {
    const [challenge] = parseChallenges('BEARER Realm="say \\"hi\\" \\\\ there" , Error=insufficient_scope');
    expect(challenge).toEqual({ scheme: 'bearer', params: { realm: 'say "hi" \\ there', error: 'insufficient_scope' } });
  });

  it('keeps a scope whose repository name has a registry port', () => {
    const [challenge] = parseChallenges('Bearer scope="repository:localhost:5000/app:pull"');
    expect(challenge?.params.scope).toBe('repository:localhost:5000/app:pull');
  });

  it('reads a token68 and a bare scheme', () => {
    expect(parseChallenges('Negotiate YWxhZGRpbjpvcGVuc2VzYW1l==, Basic')).toEqual([
      { scheme: 'negotiate', params: {}, token68: 'YWxhZGRpbjpvcGVuc2VzYW1l==' },
      { scheme: 'basic', params: {} },
    ]);
  });

  it('tolerates spaces around "=" and empty list elements', () => {
    expect(parseChallenges(' , Bearer realm = "r" ,, service = s')).toEqual([{ scheme: 'bearer', params: { realm: 'r', service: 's' } }]);
  });

  it.each([
    ['an unterminated quoted string', 'Bearer realm="https://x'],
    ['a parameter without a value', 'Bearer realm=, service="s"'],
    ['text after a value', 'Bearer realm="a"b'],
    ['a header that does not start with a scheme', '"quoted"'],
  ])('rejects %s with a message that names the position', (_what, header) => {
    expect(() => parseChallenges(header)).toThrow(/malformed WWW-Authenticate header: .* at character \d+/);
  });

  it('answers no challenge for an empty header', () => {
    expect(parseChallenges('')).toEqual([]);
  });
});
