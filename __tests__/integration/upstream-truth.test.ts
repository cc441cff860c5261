import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { createLogger } from '../../lib/log';
import { createMirror } from '../../lib/mirror';
import { startServer } from '../../lib/server';
import { basicRunmd, startFakeUpstream } from '../helpers/upstream-server';

const MANIFEST = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"a/b","digest":"sha256:00","size":1},"layers":[]}');
const TRUE_DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;
const LIE = `sha256:${'e'.repeat(64)}`;
const BLOB = `sha256:${'c'.repeat(64)}`;
const OCI = 'application/vnd.oci.image.manifest.v1+json';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-truth-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('an upstream whose Docker-Content-Digest lies', () => {
  // Cache off, a GET by tag is a GET; cache on, a HEAD for the digest and a GET by that digest.
  it.each([['off', false], ['on', true]] as const)('answers a GET by tag with 502 and caches nothing of it (cache %s)', async (_label, cacheOn) => {
    const liar = await startFakeUpstream((req, res) => {
      res.writeHead(200, { 'Content-Type': OCI, 'Docker-Content-Digest': LIE, 'Content-Length': MANIFEST.length });
      res.end(req.method === 'HEAD' ? undefined : MANIFEST);
    });
    const mirror = createMirror({ runmd: basicRunmd([liar.url]), ...(cacheOn && { home: dir }) });
    const app = express().use(mirror);
    try {
      const res = await request(app).get('/v2/a/manifests/v1');
      expect(res.status).toBe(502);
      expect(res.body.errors[0].code).toBe('MANIFEST_INVALID');
      expect(res.headers['docker-content-digest']).toBeUndefined();
      // Neither the tag nor the lying digest was remembered: both go to the upstream again.
      liar.requests.length = 0;
      await request(app).head('/v2/a/manifests/v1');
      expect(liar.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['HEAD /v2/a/manifests/v1']);
      const byDigest = await request(app).get(`/v2/a/manifests/${LIE}`);
      expect(byDigest.status).toBe(502);
      expect(liar.requests.map((r) => `${r.method} ${r.url}`)).toContain(`GET /v2/a/manifests/${LIE}`);
    } finally {
      await mirror.close();
      await liar.close();
    }
  });

  it('still serves a GET by tag whose header is true, or absent (digest computed)', async () => {
    let header: string | undefined = TRUE_DIGEST;
    const honest = await startFakeUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Type': OCI, 'Content-Length': MANIFEST.length, ...(header && { 'Docker-Content-Digest': header }) });
      res.end(MANIFEST);
    });
    const mirror = createMirror({ runmd: basicRunmd([honest.url]) });
    try {
      for (const value of [TRUE_DIGEST, undefined]) {
        header = value;
        const res = await request(express().use(mirror)).get('/v2/a/manifests/v1');
        expect(res.status).toBe(200);
        expect(res.headers['docker-content-digest']).toBe(TRUE_DIGEST);
      }
    } finally {
      await mirror.close();
      await honest.close();
    }
  });
});

describe('status and logs tell the truth', () => {
  it('answers 502, not 500, when the upstream dies while a manifest is read', async () => {
    const dying = await startFakeUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Type': OCI, 'Content-Length': 1000 });
      res.write(MANIFEST.subarray(0, 20));
      setTimeout(() => res.destroy(), 20);
    });
    const mirror = createMirror({ runmd: basicRunmd([dying.url]) });
    try {
      const res = await request(express().use(mirror)).get('/v2/a/manifests/v1');
      expect(res.status).toBe(502);
      expect(res.body.errors[0].code).toBe('UNAVAILABLE');
    } finally {
      await mirror.close();
      await dying.close();
    }
  });

  it('logs the 200 a cut client got, with cut, not a 500 it never saw', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }) });
    const dying = await startFakeUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': 100_000 });
      res.write(Buffer.alloc(1000));
      setTimeout(() => res.destroy(), 20);
    });
    const server = await startServer(createMirror({ runmd: basicRunmd([dying.url]), logger }), logger, { host: '127.0.0.1', port: 0 });
    try {
      const status = await new Promise<number>((resolve) => {
        http.get(`${server.url}/v2/a/blobs/${BLOB}`, (res) => {
          res.resume();
          res.on('error', () => undefined);
          res.on('close', () => resolve(res.statusCode ?? 0));
        });
      });
      expect(status).toBe(200);
      const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      await waitFor(() => parsed().some((l) => l.msg === 'request'));
      const access = parsed().find((l) => l.msg === 'request');
      expect(access).toEqual(expect.objectContaining({ status: 200, cut: true }));
      expect(access?.aborted).toBeUndefined();
      const failure = parsed().find((l) => l.level === 40);
      expect(failure).toEqual(expect.objectContaining({ status: 200, cut: true, error: 502, code: 'UNAVAILABLE' }));
      expect(parsed().some((l) => l.status === 500)).toBe(false);
    } finally {
      await server.close(1000);
      await dying.close();
    }
  });
});

describe('--log-format pretty', () => {
  const prettyLine = (fields: Record<string, unknown>, msg = 'request'): string => {
    const out: string[] = [];
    const logger = createLogger({ format: 'pretty', destination: new Writable({ write: (c: Buffer, _e, done) => (out.push(c.toString()), done()) }) });
    logger.info(fields, msg);
    return out.join('');
  };

  it('escapes CR, LF and ANSI escapes from a request, so no line can be forged', () => {
    const forged = 'x\r\ninfo  request method=GET status=200\u001b[31m\u009b2J';
    const text = prettyLine({ ns: forged, path: '/v2/a\nb/manifests/v1' });
    expect(text.split('\n')).toHaveLength(2);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toMatch(/[\r\u001b\u009b]/);
    expect(text).toContain('ns="x\\r\\ninfo  request method=GET status=200\\u001b[31m\\u009b2J"');
    expect(text).toContain('path="/v2/a\\nb/manifests/v1"');
  });

  it('quotes a value with spaces or quotes, so it cannot pose as another field', () => {
    expect(prettyLine({ ns: 'a status=500' })).toContain('ns="a status=500"');
    expect(prettyLine({ ns: 'registry.example:5000', status: 200 })).toBe('info  request ns=registry.example:5000 status=200\n');
    expect(prettyLine({}, 'bad\u001b[2Jmsg')).toBe('info  bad\\u001b[2Jmsg\n');
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('an upstream that fails with its own 5xx', () => {
  it.each([500, 501, 505])('answers its %i as 502 Bad Gateway with an OCI error, on every route', async (status) => {
    const failing = await startFakeUpstream((_req, res) => {
      res.writeHead(status, { 'Content-Type': 'text/html' });
      res.end('<html>oops</html>');
    });
    const mirror = createMirror({ runmd: basicRunmd([failing.url]).replace('+ .proxy localhost:0\n', '+ .proxy localhost:0\n: .circuit off\n') });
    const app = express().use(mirror);
    try {
      for (const path of ['/v2/a/manifests/v1', `/v2/a/blobs/${BLOB}`, '/v2/a/tags/list', `/v2/a/referrers/${BLOB}`]) {
        const res = await request(app).get(path);
        expect([path, res.status]).toEqual([path, 502]);
        expect(res.body.errors[0]).toEqual(expect.objectContaining({ code: 'UNAVAILABLE', detail: { upstreamStatus: status } }));
      }
      expect((await request(app).head('/v2/a/manifests/v1')).status).toBe(502);
    } finally {
      await mirror.close();
      await failing.close();
    }
  });
});

describe('error answers that are not OCI JSON', () => {
  it('gives an upstream 4xx without a JSON body an OCI error, keeping its status and the headers a client acts on', async () => {
    const plain = await startFakeUpstream((req, res) => {
      if (req.url?.includes('/manifests/')) {
        res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Bearer realm="http://127.0.0.1:1/token",service="r"' });
        res.end('unauthorized');
        return;
      }
      res.writeHead(416, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Range': 'bytes */10' });
      res.end('invalid range: failed to overlap');
    });
    const mirror = createMirror({ runmd: basicRunmd([plain.url]) });
    try {
      const app = express().use(mirror);
      const range = await request(app).get(`/v2/a/blobs/${BLOB}`).set('Range', 'bytes=50-');
      expect(range.status).toBe(416);
      expect(range.headers['content-range']).toBe('bytes */10');
      expect(range.body.errors[0]).toEqual(expect.objectContaining({ code: 'SIZE_INVALID', detail: { upstreamStatus: 416 } }));
      const challenge = await request(app).get('/v2/a/manifests/v1');
      expect(challenge.status).toBe(401);
      expect(challenge.headers['www-authenticate']).toBe('Bearer realm="http://127.0.0.1:1/token",service="r"');
      expect(challenge.body.errors[0].code).toBe('UNAUTHORIZED');
    } finally {
      await mirror.close();
      await plain.close();
    }
  });

  it('answers a range past the end of a cached blob with 416 and an OCI error body', async () => {
    const bytes = Buffer.from('0123456789');
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const origin = await startFakeUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length });
      res.end(bytes);
    });
    const mirror = createMirror({ runmd: basicRunmd([origin.url]), home: dir });
    try {
      const app = express().use(mirror);
      expect((await request(app).get(`/v2/a/blobs/${digest}`)).status).toBe(200);
      const res = await request(app).get(`/v2/a/blobs/${digest}`).set('Range', 'bytes=50-');
      expect(res.status).toBe(416);
      expect(res.headers['content-range']).toBe('bytes */10');
      expect(res.body.errors[0]).toEqual(expect.objectContaining({ code: 'SIZE_INVALID', detail: { size: 10 } }));
      expect(origin.requests).toHaveLength(1);
    } finally {
      await mirror.close();
      await origin.close();
    }
  });
});
