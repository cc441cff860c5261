import http from 'node:http';
import express from 'express';
import request from 'supertest';
import { RegistryAuthorizer } from '../../lib/auth/authorizer';
import { TokenCache } from '../../lib/auth/token-cache';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { captureLogger } from '../helpers/log-capture';
import { DEFAULT_TIMEOUTS } from '../../lib/upstream/upstream';

/** How the fake token endpoint behaves for the next requests. */
type TokenMode = 'oauth-unsupported' | 'not-json' | 'no-token' | 'anonymous-ok';

const MANIFEST = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"a","digest":"sha256:aa","size":1},"layers":[]}';
const PASSWORD = 'very-secret-pw';
let tokenMode: TokenMode = 'oauth-unsupported';
let challengeHeader = '';
let validToken = 'token-1';
const seen: Array<{ path: string; method: string; authorization?: string }> = [];
let server: http.Server;
let origin: string;

/** A registry and its token endpoint in one: behaviour a real registry cannot be made to show (broken token answers). */
function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', origin);
  seen.push({ path: url.pathname, method: req.method ?? '', authorization: req.headers.authorization });
  if (url.pathname === '/token') {
    if (req.method === 'POST') return void res.writeHead(404).end();
    const basic = `Basic ${Buffer.from(`user:${PASSWORD}`).toString('base64')}`;
    if (tokenMode === 'not-json') return void res.writeHead(200).end('<html>oops</html>');
    if (tokenMode === 'no-token') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"expires_in":300}');
    if (tokenMode === 'oauth-unsupported' && req.headers.authorization !== basic) return void res.writeHead(401).end();
    return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: validToken, expires_in: 300 }));
  }
  if (req.headers.authorization === `Bearer ${validToken}`) {
    return void res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Content-Length': MANIFEST.length }).end(MANIFEST);
  }
  res.writeHead(401, { 'WWW-Authenticate': challengeHeader || `Bearer realm="${origin}/token",service="fake",scope="repository:r:pull"` }).end();
}

const runmd = (login: string): string => `
\`\`\` start mirror
+ .runtime
: .mirror ${origin}

+ .proxy 127.0.0.1:0
: .cache off
: .manifests head, get
${login}
:   .authn oauth2
:   .resolve
\`\`\`
`;

const log = captureLogger();
function app(login: string): { app: express.Express; mirror: MirrorRouter } {
  const mirror = createMirror({ runmd: runmd(login), home: '/nonexistent', logger: log.logger });
  return { app: express().use(mirror), mirror };
}

beforeAll(async () => {
  server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  process.env.LIFEC_TEST_USER = 'user';
  process.env.LIFEC_TEST_PASSWORD = PASSWORD;
});

afterAll(async () => {
  delete process.env.LIFEC_TEST_USER;
  delete process.env.LIFEC_TEST_PASSWORD;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
  tokenMode = 'oauth-unsupported';
  challengeHeader = '';
});

const LOGIN = ':   .login env LIFEC_TEST_USER LIFEC_TEST_PASSWORD';

describe('the token flow against awkward token endpoints', () => {
  it('falls back from the OAuth2 POST to a GET with Basic auth when the POST answers 404', async () => {
    const res = await request(app(LOGIN).app).get('/v2/r/manifests/v1');
    expect(res.status).toBe(200);
    expect(seen.filter((s) => s.path === '/token').map((s) => `${s.method} ${s.authorization?.split(' ')[0] ?? 'none'}`)).toEqual(['POST none', 'GET Basic']);
  });

  it('asks anonymously (GET, no Authorization) without credentials', async () => {
    tokenMode = 'anonymous-ok';
    const res = await request(app('').app).get('/v2/r/manifests/v1');
    expect(res.status).toBe(200);
    expect(seen.filter((s) => s.path === '/token')).toEqual([{ path: '/token', method: 'GET', authorization: undefined }]);
  });

  it.each([
    ['not-json', /answered something that is not JSON/],
    ['no-token', /answered without a token/],
  ] as const)('answers 503 with Retry-After when the token answer is %s', async (mode, message) => {
    tokenMode = mode;
    const res = await request(app(LOGIN).app).get('/v2/r/manifests/v1');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('10');
    expect(res.text).toMatch(message);
    expect(res.text).not.toContain(PASSWORD);
  });

  it('answers 502 to a malformed WWW-Authenticate header, naming the problem', async () => {
    challengeHeader = 'Bearer realm="unterminated';
    const res = await request(app(LOGIN).app).get('/v2/r/manifests/v1');
    expect(res.status).toBe(502);
    expect(res.text).toContain('unterminated quoted string');
  });

  it('drops a token the registry rejects and retries once with a fresh one', async () => {
    tokenMode = 'anonymous-ok';
    const { app: served } = app('');
    expect((await request(served).get('/v2/r/manifests/v1')).status).toBe(200);
    validToken = 'token-2';
    seen.length = 0;
    // Another tag of the same repository: same scope, so the cached token-1 goes out first.
    expect((await request(served).get('/v2/r/manifests/v2')).status).toBe(200);
    expect(seen.map((s) => `${s.path} ${s.authorization ?? ''}`)).toEqual(['/v2/r/manifests/v2 Bearer token-1', '/token ', '/v2/r/manifests/v2 Bearer token-2']);
  });

  it('skips the 401 probe once the challenge of the registry is known', async () => {
    tokenMode = 'anonymous-ok';
    const { app: served } = app('');
    await request(served).get('/v2/r/manifests/v1');
    seen.length = 0;
    await request(served).get('/v2/other/manifests/v1');
    expect(seen.map((s) => s.path)).toEqual(['/token', '/v2/other/manifests/v1']);
  });

  it('never logs the password', () => {
    expect(log.text()).not.toContain(PASSWORD);
  });
});

describe('RegistryAuthorizer', () => {
  it('refuses to send credentials of an https registry to a plain-HTTP realm', async () => {
    const challenges = new Map([['secure.example', { scheme: 'bearer', params: { realm: 'http://tokens.example/token', service: 's' } }]]);
    const authorizer = new RegistryAuthorizer({
      upstream: { host: 'secure.example', origin: 'https://secure.example', isDefault: true, timeouts: { ...DEFAULT_TIMEOUTS, connect: 1, headers: 1, idle: 1 } },
      repository: 'r',
      credentials: { registry: 'secure.example', username: 'u', password: 'p' },
      tokens: new TokenCache({ now: () => 0 }),
      challenges,
      fetch: () => Promise.reject(new Error('must not be called')),
    });
    await expect(authorizer.authorize({ method: 'GET', path: '/v2/r/manifests/v1' })).rejects.toMatchObject({ status: 502, message: expect.stringContaining('refuses to send them') });
  });
});
