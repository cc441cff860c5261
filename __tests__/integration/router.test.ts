import { createHash } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { basicRunmd, startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

const MANIFEST = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}');
const MANIFEST_DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;
const BLOB = Buffer.from('0123456789abcdef');
const BLOB_DIGEST = `sha256:${createHash('sha256').update(BLOB).digest('hex')}`;

let upstream: FakeUpstream;
let mirror: MirrorRouter;
let app: express.Express;

beforeAll(async () => {
  upstream = await startFakeUpstream((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v2/library/redis/manifests/7' || url.pathname === `/v2/library/redis/manifests/${MANIFEST_DIGEST}`) {
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': MANIFEST_DIGEST, 'Content-Length': MANIFEST.length });
      res.end(req.method === 'HEAD' ? undefined : MANIFEST);
    } else if (url.pathname === `/v2/a/b/c/blobs/${BLOB_DIGEST}`) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': BLOB.length, 'Set-Cookie': 'session=1' });
      res.end(req.method === 'HEAD' ? undefined : BLOB);
    } else if (url.pathname === '/v2/private/manifests/v1') {
      res.writeHead(401, { 'Www-Authenticate': 'Bearer realm="http://auth.invalid/token",service="reg"', 'Content-Type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}');
    } else if (url.pathname === '/v2/library/redis/tags/list') {
      res.writeHead(200, { 'Content-Type': 'application/json', Link: '</v2/library/redis/tags/list?last=b&n=2>; rel="next"' });
      res.end(JSON.stringify({ name: 'library/redis', tags: ['a', 'b'], query: url.search }));
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":null}]}');
    }
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

describe('the compiled router', () => {
  it('answers GET /v2/ with the API version header', async () => {
    const res = await request(app).get('/v2/');
    expect(res.status).toBe(200);
    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });

  it('serves a manifest by tag with the upstream headers and bytes', async () => {
    const res = await request(app).get(`/v2/library/redis/manifests/7?ns=${encodeURIComponent(upstream.host)}`).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['docker-content-digest']).toBe(MANIFEST_DIGEST);
    expect(res.headers['content-type']).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(Buffer.compare(res.body as Buffer, MANIFEST)).toBe(0);
  });

  it('answers HEAD with an upstream HEAD and the same headers, no body', async () => {
    const res = await request(app).head('/v2/library/redis/manifests/7');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(MANIFEST.length));
    expect(res.headers['docker-content-digest']).toBe(MANIFEST_DIGEST);
    expect(upstream.requests[0]?.method).toBe('HEAD');
  });

  it('forwards the client Accept and adds the plugin media types', async () => {
    const custom = createMirror({ runmd: basicRunmd([upstream.url]).replace(':   .resolve', ':   .resolve application/vnd.extra+json') });
    await request(express().use(custom)).get('/v2/library/redis/manifests/7').set('Accept', 'application/vnd.oci.image.index.v1+json');
    expect(upstream.requests[0]?.headers.accept).toBe('application/vnd.oci.image.index.v1+json, application/vnd.extra+json');
  });

  it('routes repository names with several segments to blobs', async () => {
    const res = await request(app).get(`/v2/a/b/c/blobs/${BLOB_DIGEST}`);
    expect(res.status).toBe(200);
    expect(res.text ?? res.body.toString()).toBeDefined();
    expect(upstream.requests[0]?.url).toBe(`/v2/a/b/c/blobs/${BLOB_DIGEST}`);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('passes upstream errors and the auth challenge through unchanged', async () => {
    const res = await request(app).get('/v2/private/manifests/v1').set('Authorization', 'Bearer abc');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="http://auth.invalid/token",service="reg"');
    expect(res.body.errors[0].code).toBe('UNAUTHORIZED');
    expect(upstream.requests[0]?.headers.authorization).toBe('Bearer abc');
  });

  it('keeps pagination parameters and rewrites the Link header to keep ns', async () => {
    const ns = encodeURIComponent(upstream.host);
    const res = await request(app).get(`/v2/library/redis/tags/list?n=2&last=a&ns=${ns}`);
    expect(res.status).toBe(200);
    expect(upstream.requests[0]?.url).toBe('/v2/library/redis/tags/list?n=2&last=a');
    expect(res.headers.link).toBe(`</v2/library/redis/tags/list?last=b&n=2&ns=${ns}>; rel="next"`);
  });

  it.each([
    ['/v2/UPPER/manifests/v1', 'NAME_INVALID'],
    ['/v2/a/../b/manifests/v1', 'NAME_INVALID'],
    ['/v2/a%2Fb/manifests/v1', 'NAME_INVALID'],
    ['/v2/a/manifests/sha256:1234', 'DIGEST_INVALID'],
    ['/v2/a/blobs/v1', 'DIGEST_INVALID'],
    [`/v2/${'a'.repeat(300)}/manifests/v1`, 'NAME_INVALID'],
  ])('rejects %s with 400 %s and no upstream call', async (path, code) => {
    const res = await request(app).get(path);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe(code);
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses a registry that is not declared, without an upstream call', async () => {
    const res = await request(app).get('/v2/library/redis/manifests/7?ns=evil.example.com');
    expect(res.status).toBe(404);
    expect(res.body.errors[0].code).toBe('NAME_UNKNOWN');
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers 405 with an OCI error for a method the route does not list', async () => {
    const res = await request(app).delete(`/v2/a/blobs/${BLOB_DIGEST}`);
    expect(res.status).toBe(405);
    expect(res.body.errors[0].code).toBe('UNSUPPORTED');
    const head = await request(app).head('/v2/library/redis/tags/list');
    expect(head.status).toBe(405);
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers 404 UNSUPPORTED for an API the proxy does not mount', async () => {
    const res = await request(app).get('/v2/_catalog');
    expect(res.status).toBe(404);
    expect(res.body.errors[0].code).toBe('UNSUPPORTED');
  });

  it('answers HEAD by digest with the digest asked for, whatever Docker-Content-Digest the upstream sends', async () => {
    const wrong = `sha256:${'c'.repeat(64)}`;
    const liar = await startFakeUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': wrong, 'Content-Length': MANIFEST.length });
      res.end();
    });
    const m = createMirror({ runmd: basicRunmd([liar.url]) });
    try {
      const res = await request(express().use(m)).head(`/v2/a/manifests/${MANIFEST_DIGEST}`);
      expect(res.status).toBe(200);
      expect(liar.requests[0]?.method).toBe('HEAD');
      expect(res.headers['docker-content-digest']).toBe(MANIFEST_DIGEST);
    } finally {
      await m.close();
      await liar.close();
    }
  });

  it('refuses a manifest whose bytes do not match the digest asked for', async () => {
    const other = `sha256:${'b'.repeat(64)}`;
    const liar = await startFakeUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
      res.end(MANIFEST);
    });
    const m = createMirror({ runmd: basicRunmd([liar.url]) });
    try {
      const res = await request(express().use(m)).get(`/v2/a/manifests/${other}`);
      expect(res.status).toBe(502);
      expect(res.body.errors[0].code).toBe('MANIFEST_INVALID');
    } finally {
      await liar.close();
    }
  });
});
