import net from 'node:net';
import express from 'express';
import request from 'supertest';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { silentLogger } from '../../lib/log';
import { startServer, type RunningServer } from '../../lib/server';
import { basicRunmd, startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

let upstream: FakeUpstream;
let mirror: MirrorRouter;
let app: express.Express;

beforeAll(async () => {
  upstream = await startFakeUpstream((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
  mirror = createMirror({ runmd: basicRunmd([upstream.url]) });
  app = express().use(mirror);
});

afterAll(async () => {
  await mirror.close();
  await upstream.close();
});

beforeEach(() => {
  upstream.requests.length = 0;
});

const HEX = 'a'.repeat(64);

describe('manifest references that cannot exist', () => {
  it.each(['.INVALID_MANIFEST_NAME', '-bad', '.', 'a'.repeat(129)])('answers GET and HEAD of %s with 404 MANIFEST_UNKNOWN, without the upstream', async (reference) => {
    const get = await request(app).get(`/v2/library/redis/manifests/${reference}`);
    expect(get.status).toBe(404);
    expect(get.body.errors[0].code).toBe('MANIFEST_UNKNOWN');
    const head = await request(app).head(`/v2/library/redis/manifests/${reference}`);
    expect(head.status).toBe(404);
    expect(upstream.requests).toHaveLength(0);
  });

  it.each(['sha256:zz', `sha256:${HEX.slice(1)}`, `sha256:${HEX.toUpperCase()}`])('keeps 400 DIGEST_INVALID for the malformed digest %s', async (reference) => {
    const res = await request(app).get(`/v2/library/redis/manifests/${reference}`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe('DIGEST_INVALID');
    expect(upstream.requests).toHaveLength(0);
  });

  it('keeps 400 DIGEST_INVALID for a blob reference that is no digest', async () => {
    const res = await request(app).get('/v2/library/redis/blobs/.INVALID');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe('DIGEST_INVALID');
  });
});

describe('malformed percent-encoding', () => {
  it.each([
    ['/v2/a/manifests/%87%2D%19', 'TAG_INVALID'],
    ['/v2/a/manifests/%zz', 'TAG_INVALID'],
    ['/v2/a/manifests/v%', 'TAG_INVALID'],
    ['/v2/a/manifests/sha256:%c0%af', 'DIGEST_INVALID'],
    [`/v2/a/blobs/sha256:%ff${HEX}`, 'DIGEST_INVALID'],
    [`/v2/a/referrers/sha256:%e0${HEX}`, 'DIGEST_INVALID'],
    ['/v2/%zz/manifests/v1', 'NAME_INVALID'],
    ['/v2/library/%87%2D%19/blobs/sha256:x', 'NAME_INVALID'],
    ['/v2/a/%/tags/list', 'NAME_INVALID'],
    ['/v2/a%e2%82/tags/list', 'NAME_INVALID'],
    ['/%zz', 'NAME_INVALID'],
  ])('answers %s with 400 %s, never 500, without the upstream', async (path, code) => {
    const res = await request(app).get(path);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe(code);
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('every answer is OCI JSON', () => {
  it.each([
    ['put', '/', 404],
    ['get', '/', 404],
    ['delete', '/index.html', 404],
    ['post', '/v2/', 405],
    ['put', '/v2', 405],
    ['patch', '/v2/a/tags/list', 405],
    ['post', '/metrics', 405],
    ['delete', '/healthz', 405],
    ['post', '/auth', 405],
    ['options', '/v2/a/manifests/v1', 405],
    ['get', '/v2/_catalog', 404],
    ['get', '/v3/', 404],
  ] as const)('answers %s %s with %i and an OCI error body', async (method, path, status) => {
    const res = await request(app)[method](path);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.errors[0]).toEqual(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.any(String) }));
    if (status === 405) expect(res.headers.allow).toBeDefined();
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers a request Node cannot parse with 400 and an OCI error body', async () => {
    const server: RunningServer = await startServer(mirror, silentLogger(), { host: '127.0.0.1', port: 0 });
    try {
      for (const line of ['FOO / HTTP/1.1', 'GET /v2/a b/manifests/v1 HTTP/1.1', 'GET /v2/\u0001/manifests/v1 HTTP/1.1']) {
        const answer = await rawRequest(server.address.port, `${line}\r\nHost: x\r\n\r\n`);
        expect([line, answer.split('\r\n', 1)[0]]).toEqual([line, 'HTTP/1.1 400 Bad Request']);
        const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { errors: Array<{ code: string }> };
        expect(body.errors[0]?.code).toBe('UNSUPPORTED');
      }
    } finally {
      await server.close(1000);
    }
  });
});

/** Sends bytes no HTTP client library would send and returns everything the server answers. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.end(Buffer.from(text, 'latin1')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}
