import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import type { MirrorStatus } from '../../lib/admin/status-data';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

const TOKEN = 'SECRET-TOKEN-4711';
const SAS = 'sig=SECRET-SAS-0815';

let home: string;
let upstream: FakeUpstream;
let mirror: MirrorRouter;
let app: express.Express;

const runmd = (origin: string): string => `\`\`\` start mirror
+ .runtime
: .mirror ${origin}

+ .proxy 127.0.0.1:0
: .manifests head, get
:   .resolve
: .blobs head, get
:   .pull
\`\`\`
`;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-status-'));
  // An upstream that fails every request: the status shows its last error.
  upstream = await startFakeUpstream((_req, res) => res.writeHead(500).end());
  mirror = createMirror({ runmd: runmd(upstream.url), home });
  app = express().use(mirror);
  const host = upstream.host;
  mirror.services.auth.challenges.set(host, { scheme: 'bearer', params: { realm: `http://auth.example/token?account=me&${SAS}`, service: 'registry' } });
  await mirror.services.auth.tokens.get({ realm: `http://auth.example/token?account=me&${SAS}`, service: 'registry', scope: 'repository:app:pull', identity: '' }, async () => ({ token: TOKEN, expiresIn: 300 }));
  mirror.services.activity.failed(host, undefined, `redirect to https://blob.example/data?${SAS} failed`);
});

afterAll(async () => {
  await mirror.close();
  await upstream.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('GET /_lifec/status.json', () => {
  it('reports registries, cache, downloads, warm jobs and requests without a token or a query secret', async () => {
    await request(app).get('/v2/app/manifests/v1').set('Accept', 'application/vnd.oci.image.manifest.v1+json');
    const res = await request(app).get('/_lifec/status.json');
    expect(res.status).toBe(200);
    const status = res.body as MirrorStatus;
    expect(status.registries).toEqual([
      {
        host: upstream.host,
        endpoints: [{ name: upstream.host, url: upstream.url, breaker: 'closed' }],
        default: true,
        breaker: 'closed',
        // The upstream's own 500 was relayed: the status names the request it failed.
        lastError: { at: expect.any(String), message: 'GET app v1: answered 502' },
        auth: { scheme: 'bearer', realm: 'http://auth.example/token', service: 'registry', tokens: 1, tokenExpiresAt: expect.any(String) },
      },
    ]);
    expect(status.cache).toMatchObject({ enabled: true, entries: 0, usedBytes: 0, hitRatio: { blob: null, manifest: null } });
    expect(status.requests[0]).toMatchObject({ method: 'GET', registry: upstream.host, repository: 'app', reference: 'v1', status: expect.any(Number), source: 'upstream' });
    expect(status.version).toBe(JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')).version);
    expect(res.text).not.toContain('SECRET');
  });

  it('lists a registry\'s .endpoint lines before the registry itself, each with its breaker', async () => {
    const text = runmd(upstream.url).replace(`: .mirror ${upstream.url}`, `: .mirror ${upstream.url}\n: .endpoint http://tier.internal:5000`);
    const fresh = createMirror({ runmd: text, home });
    try {
      const res = await request(express().use(fresh)).get('/_lifec/status.json');
      expect((res.body as MirrorStatus).registries[0]?.endpoints).toEqual([
        { name: 'tier.internal:5000', url: 'http://tier.internal:5000', breaker: 'closed' },
        { name: upstream.host, url: upstream.url, breaker: 'closed' },
      ]);
    } finally {
      await fresh.close();
    }
  });

  it('keeps the last error message without the query of a URL it quotes', async () => {
    const fresh = createMirror({ runmd: runmd(upstream.url), home });
    try {
      fresh.services.activity.failed(upstream.host, undefined, `redirect to https://blob.example/data?${SAS} failed`);
      const res = await request(express().use(fresh)).get('/_lifec/status.json');
      expect((res.body as MirrorStatus).registries[0]?.lastError?.message).toBe('redirect to https://blob.example/data?… failed');
    } finally {
      await fresh.close();
    }
  });
});

describe('GET /_lifec/', () => {
  it('is one HTML page with inline style, no script, a meta refresh, and no secret', async () => {
    const res = await request(app).get('/_lifec/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(res.text).toMatch(/<meta http-equiv="refresh" content="5">/);
    expect(res.text).not.toMatch(/<script|<link|src=|url\(/i);
    expect(res.text).toContain(`data-registry="${upstream.host}"`);
    expect(res.text).not.toContain('SECRET');
    expect((await request(app).get('/_lifec/?refresh=0')).text).not.toContain('http-equiv');
  });

  it('escapes text from outside (an error message) and lists warm jobs with their bars', async () => {
    const fresh = createMirror({ runmd: runmd(upstream.url), home });
    try {
      fresh.services.activity.failed(upstream.host, undefined, '<script>alert(1)</script>');
      const job = fresh.services.warm.start({ references: ['app:v1'], platforms: 'all', source: 'api' }, 'http://127.0.0.1:1');
      await job.finished;
      const page = await request(express().use(fresh)).get('/_lifec/');
      expect(page.text).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
      expect(page.text).not.toContain('<script');
      expect(page.text).toContain(`data-image="app:v1" data-job="${job.id}"`);
    } finally {
      await fresh.close();
    }
  });
});

describe('the admin endpoints answer loopback clients only', () => {
  /** A request whose socket comes from `remoteAddress`: what a request from another host looks like to the router. */
  const fromAddress = (remoteAddress: string): express.Express =>
    express()
      .use((req, _res, next) => {
        Object.defineProperty(req.socket, 'remoteAddress', { value: remoteAddress, configurable: true });
        next();
      })
      .use(mirror);

  it.each(['/_lifec/', '/_lifec/status.json', '/_lifec/warm'])('refuses %s to a client on another host (403 DENIED)', async (url) => {
    const res = await request(fromAddress('192.0.2.7')).get(url);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: [{ code: 'DENIED', message: expect.stringMatching(/loopback clients only/), detail: null }] });
  });

  it('refuses a request addressed to another name (DNS rebinding) and a POST sent by another site', async () => {
    expect((await request(app).get('/_lifec/').set('Host', 'attacker.example')).status).toBe(403);
    const post = await request(app).post('/_lifec/warm').set('Origin', 'https://attacker.example').set('Content-Type', 'application/json').send({ references: ['app:v1'] });
    expect(post.status).toBe(403);
    expect(post.body.errors[0].message).toMatch(/another site/);
  });

  it('refuses a real connection from a non-loopback address of this machine', async () => {
    const address = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    // Without a non-loopback interface (a network-less container) there is no such connection to make.
    if (address === undefined) throw new Error('this test needs a non-loopback IPv4 address on the machine');
    const server = http.createServer(express().use(mirror));
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    try {
      const { port } = server.address() as import('node:net').AddressInfo;
      const res = await fetch(`http://${address}:${port}/_lifec/status.json`, { headers: { host: `127.0.0.1:${port}` } });
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/loopback clients only/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
