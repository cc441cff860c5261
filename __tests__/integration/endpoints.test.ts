import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { formatCredentialFile } from '../../lib/auth/credential-file';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { waitUntil } from '../harness';
import { startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

const blob = randomBytes(3 * 1024 * 1024);
const DIGEST = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
const BLOB_PATH = `/v2/library/app/blobs/${DIGEST}`;

/** How a fake endpoint answers blob requests. */
type Behaviour = 'serve' | 'cut' | 'corrupt' | 'refuse' | 'no-range' | 'basic-auth' | { status: number };

/** A fake registry serving `blob`, with Range, misbehaving as told (faults a real registry cannot show on demand). */
async function blobServer(): Promise<FakeUpstream & { behaviour: Behaviour }> {
  const state = { behaviour: 'serve' as Behaviour };
  const server = await startFakeUpstream((req, res) => {
    const b = state.behaviour;
    if (b === 'refuse') return void req.socket.destroy();
    if (typeof b === 'object') {
      res.writeHead(b.status, { 'Content-Type': 'application/json' });
      return void res.end('{"errors":[{"code":"UNKNOWN","message":"no","detail":null}]}');
    }
    if (b === 'basic-auth' && req.headers.authorization !== `Basic ${Buffer.from('tier-user:tier-secret').toString('base64')}`) {
      return void res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="tier"', 'Content-Type': 'application/json' }).end('{"errors":[]}');
    }
    if (req.url?.includes('/tags/list')) {
      // A paginated tag list names its next page by the server's own path.
      const own = new URL(req.url, 'http://x').pathname;
      return void res.writeHead(200, { 'Content-Type': 'application/json', Link: `<${own}?last=a&n=1>; rel="next"` }).end('{"name":"library/app","tags":["a"]}');
    }
    if (!req.url?.includes('/blobs/')) return void res.writeHead(404).end();
    // 'no-range': a server that ignores Range and always sends the whole blob.
    const range = b === 'no-range' ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Number(range[2]) : blob.length - 1;
    let body = blob.subarray(start, end + 1);
    res.writeHead(range ? 206 : 200, { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream', ...(range ? { 'Content-Range': `bytes ${start}-${end}/${blob.length}` } : {}) });
    if (b === 'corrupt') body = Buffer.concat([body.subarray(0, 10), Buffer.from([body[10]! ^ 0xff]), body.subarray(11)]);
    if (b === 'cut') return void res.write(body.subarray(0, 1024 * 1024), () => res.destroy());
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  Object.defineProperty(server, 'behaviour', { get: () => state.behaviour, set: (value: Behaviour) => (state.behaviour = value) });
  return server as FakeUpstream & { behaviour: Behaviour };
}

function runmd(origin: string, endpointLines: string, cacheDir?: string, login = ''): string {
  return [
    '``` start mirror',
    '+ .runtime',
    `: .mirror ${origin}`,
    endpointLines,
    '+ .proxy localhost:0',
    cacheDir ? `: .cache ${cacheDir}` : ': .cache off',
    ': .retries 0',
    ': .circuit 3 1m',
    ': .manifests head, get',
    ':   .resolve',
    ': .blobs head, get',
    ...(login ? [`:   .login ${login}`, ':   .authn oauth2'] : []),
    ':   .pull',
    ': .tags get',
    ':   .pull',
    '```',
    '',
  ].join('\n');
}

/** GETs through the mirror and says whether the body arrived whole. */
function get(base: string, urlPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    http.get(`${base}${urlPath}`, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const done = (complete: boolean): void => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete });
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(res.complete));
      res.on('error', () => done(false));
    }).on('error', reject);
  });
}

describe('endpoints: fetch order and fallback', () => {
  let tier: Awaited<ReturnType<typeof blobServer>>;
  let origin: Awaited<ReturnType<typeof blobServer>>;
  let dir: string;
  const mirrors: MirrorRouter[] = [];
  const servers: http.Server[] = [];

  beforeAll(async () => {
    tier = await blobServer();
    origin = await blobServer();
  });
  beforeEach(() => {
    tier.behaviour = 'serve';
    origin.behaviour = 'serve';
    tier.requests.length = 0;
    origin.requests.length = 0;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-endpoints-'));
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((r) => server.close(r));
    for (const mirror of mirrors.splice(0)) await mirror.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await tier.close();
    await origin.close();
  });

  const start = async (lines: string, cache = false, login = ''): Promise<{ app: express.Express; url: string; mirror: MirrorRouter }> => {
    const mirror = createMirror({ runmd: runmd(origin.url, lines, cache ? path.join(dir, 'cache') : undefined, login), home: dir });
    mirrors.push(mirror);
    const app = express().use(mirror);
    const server = http.createServer(app);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as import('node:net').AddressInfo;
    return { app, url: `http://127.0.0.1:${port}`, mirror };
  };

  it('asks the first endpoint with ns=<registry>, never forwarding the client\'s Authorization, and names it in Lifec-Endpoint', async () => {
    const { app } = await start(`: .endpoint ${tier.url}`);
    const res = await request(app).get(BLOB_PATH).set('Authorization', 'Bearer for-the-registry').buffer(true);
    expect(res.status).toBe(200);
    expect(res.headers['lifec-endpoint']).toBe(tier.host);
    expect(tier.requests.map((r) => r.url)).toEqual([`${BLOB_PATH}?ns=${encodeURIComponent(origin.host)}`]);
    expect(tier.requests[0]!.headers.authorization).toBeUndefined();
    expect(origin.requests).toHaveLength(0);
  });

  it('puts the repository under the path prefix of a Harbor-style endpoint, without ns', async () => {
    const { app } = await start(`: .endpoint ${tier.url}/dockerhub-proxy`);
    const res = await request(app).get(BLOB_PATH);
    expect(res.status).toBe(200);
    expect(tier.requests.map((r) => r.url)).toEqual([`/v2/dockerhub-proxy/library/app/blobs/${DIGEST}`]);
    expect(res.headers['lifec-endpoint']).toBe(`${tier.host}/dockerhub-proxy`);
  });

  it('gives the client tag-list links without the endpoint\'s prefix', async () => {
    const { app } = await start(`: .endpoint ${tier.url}/hub-proxy`);
    const res = await request(app).get('/v2/library/app/tags/list?n=1');
    expect(res.status).toBe(200);
    expect(tier.requests[0]!.url).toBe('/v2/hub-proxy/library/app/tags/list?n=1');
    expect(res.headers.link).toMatch(/^<\/v2\/library\/app\/tags\/list\?/);
  });

  it.each<[string, Behaviour]>([
    ['404', { status: 404 }],
    ['401', { status: 401 }],
    ['403', { status: 403 }],
    ['429', { status: 429 }],
    ['500', { status: 500 }],
    ['a refused connection', 'refuse'],
  ])('falls back to the registry when the endpoint answers %s', async (_name, behaviour) => {
    tier.behaviour = behaviour;
    const { app } = await start(`: .endpoint ${tier.url}`);
    const res = await request(app).get(BLOB_PATH);
    expect(res.status).toBe(200);
    expect(res.headers['lifec-endpoint']).toBe(origin.host);
    expect(tier.requests.length).toBeGreaterThan(0);
    expect(origin.requests).toHaveLength(1);
    // The registry is asked with the client's path, unchanged.
    expect(origin.requests[0]!.url).toBe(BLOB_PATH);
  });

  it('takes the last endpoint\'s answer as final', async () => {
    tier.behaviour = { status: 404 };
    origin.behaviour = { status: 404 };
    const { app } = await start(`: .endpoint ${tier.url}`);
    const res = await request(app).get(BLOB_PATH);
    expect(res.status).toBe(404);
    expect(res.headers['lifec-endpoint']).toBe(origin.host);
  });

  it('with .origin off and the endpoint down, answers 503 at once and never asks the registry', async () => {
    tier.behaviour = 'refuse';
    const { app } = await start(`: .endpoint ${tier.url}\n: .origin off`);
    const res = await request(app).get(BLOB_PATH);
    expect(res.status).toBe(503);
    expect(res.body.errors[0].code).toBe('UNAVAILABLE');
    expect(res.body.errors[0].message).toContain(tier.host);
    expect(res.headers['retry-after']).toBeDefined();
    expect(origin.requests).toHaveLength(0);
  });

  it('resumes a body that broke off mid-way from the next endpoint with Range, and caches the verified blob', async () => {
    tier.behaviour = 'cut';
    const { url, app } = await start(`: .endpoint ${tier.url}`, true);
    const res = await get(url, BLOB_PATH);
    expect(res.complete).toBe(true);
    expect(res.body.equals(blob)).toBe(true);
    expect(res.headers['lifec-endpoint']).toBe(tier.host);
    expect(origin.requests).toHaveLength(1);
    expect(origin.requests[0]!.headers.range).toBe(`bytes=${1024 * 1024}-${blob.length - 1}`);
    const metrics = (await request(app).get('/metrics')).text;
    expect(metrics).toContain(`lifec_endpoint_fallbacks_total{registry="${origin.host}",endpoint="${tier.host}",reason="body"} 1`);
    expect(metrics).toContain(`lifec_endpoint_bytes_total{registry="${origin.host}",endpoint="${tier.host}"} ${1024 * 1024}`);
    expect(metrics).toContain(`lifec_endpoint_bytes_total{registry="${origin.host}",endpoint="${origin.host}"} ${blob.length - 1024 * 1024}`);
    // Cached: asked again, neither endpoint is.
    tier.requests.length = 0;
    origin.requests.length = 0;
    const again = await get(url, BLOB_PATH);
    expect(again.body.equals(blob)).toBe(true);
    expect(tier.requests.length + origin.requests.length).toBe(0);
  });

  it('cuts an answer whose content does not verify before its last byte, opens the endpoint\'s circuit and serves the retry from the next', async () => {
    tier.behaviour = 'corrupt';
    const { url, app } = await start(`: .endpoint ${tier.url}`, true);
    const first = await get(url, BLOB_PATH);
    expect(first.complete).toBe(false);
    expect(first.body.length).toBeLessThan(blob.length);
    const retry = await get(url, BLOB_PATH);
    expect(retry.complete).toBe(true);
    expect(retry.body.equals(blob)).toBe(true);
    expect(retry.headers['lifec-endpoint']).toBe(origin.host);
    // The tier was asked once: its circuit is open, not merely counted.
    expect(tier.requests).toHaveLength(1);
    const metrics = (await request(app).get('/metrics')).text;
    expect(metrics).toContain(`lifec_endpoint_fallbacks_total{registry="${origin.host}",endpoint="${tier.host}",reason="content"} 1`);
    expect(metrics).toContain(`lifec_circuit_state{upstream="${tier.host}"} 2`);
    // The verified copy is what the cache holds (placed just after the answer): it is served without asking anyone.
    const cached = (): boolean => fs.readdirSync(path.join(dir, 'cache'), { recursive: true }).map(String).some((f) => f.endsWith(DIGEST.slice(7)));
    await waitUntil('the blob placed in the cache', cached, 30_000);
    const asked = tier.requests.length + origin.requests.length;
    expect((await get(url, BLOB_PATH)).body.equals(blob)).toBe(true);
    expect(tier.requests.length + origin.requests.length).toBe(asked);
  });

  it('never stitches a whole answer after the bytes already sent: a resume answered 200 fails the body', async () => {
    tier.behaviour = 'cut';
    origin.behaviour = 'no-range';
    const { url } = await start(`: .endpoint ${tier.url}`);
    const res = await get(url, BLOB_PATH);
    expect(res.complete).toBe(false);
    expect(origin.requests[0]!.headers.range).toBe(`bytes=${1024 * 1024}-${blob.length - 1}`);
  });

  it('asks an endpoint with its own stored credentials, never the registry\'s', async () => {
    tier.behaviour = 'basic-auth';
    fs.mkdirSync(path.join(dir, '.world', tier.host), { recursive: true });
    fs.writeFileSync(path.join(dir, '.world', tier.host, 'access_token'), formatCredentialFile('tier-user', 'tier-secret'), { mode: 0o600 });
    fs.mkdirSync(path.join(dir, '.world', origin.host), { recursive: true });
    fs.writeFileSync(path.join(dir, '.world', origin.host, 'access_token'), formatCredentialFile('registry-user', 'registry-secret'), { mode: 0o600 });
    const { app } = await start(`: .endpoint ${tier.url}`, false, 'access_token');
    const res = await request(app).get(BLOB_PATH);
    expect(res.status).toBe(200);
    expect(res.headers['lifec-endpoint']).toBe(tier.host);
    expect(origin.requests).toHaveLength(0);
    const sent = tier.requests.map((r) => r.headers.authorization).filter((a) => a !== undefined);
    expect(sent).toEqual([`Basic ${Buffer.from('tier-user:tier-secret').toString('base64')}`]);
  });

  it('asks an endpoint without stored credentials anonymously, and falls back when it refuses', async () => {
    tier.behaviour = 'basic-auth';
    fs.mkdirSync(path.join(dir, '.world', origin.host), { recursive: true });
    fs.writeFileSync(path.join(dir, '.world', origin.host, 'access_token'), formatCredentialFile('registry-user', 'registry-secret'), { mode: 0o600 });
    const { app } = await start(`: .endpoint ${tier.url}`, false, 'access_token');
    const res = await request(app).get(BLOB_PATH);
    expect(res.status).toBe(200);
    expect(res.headers['lifec-endpoint']).toBe(origin.host);
    expect(tier.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it('counts exchanges per endpoint in lifec_endpoint_requests_total', async () => {
    tier.behaviour = { status: 404 };
    const { app } = await start(`: .endpoint ${tier.url}`);
    await request(app).get(BLOB_PATH);
    const metrics = (await request(app).get('/metrics')).text;
    expect(metrics).toContain(`lifec_endpoint_requests_total{registry="${origin.host}",endpoint="${tier.host}",status="404"} 1`);
    expect(metrics).toContain(`lifec_endpoint_requests_total{registry="${origin.host}",endpoint="${origin.host}",status="200"} 1`);
    expect(metrics).toContain(`lifec_endpoint_fallbacks_total{registry="${origin.host}",endpoint="${tier.host}",reason="status"} 1`);
  });
});
