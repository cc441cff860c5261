import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { basicRunmd, startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

const BLOB = Buffer.from('layer bytes');
const BLOB_DIGEST = `sha256:${createHash('sha256').update(BLOB).digest('hex')}`;

/** Pushes need no credentials here: the fake registry is open. */
const pushRunmd = (upstream: string): string =>
  [
    '``` start mirror',
    '+ .runtime',
    `: .mirror ${upstream}`,
    '+ .proxy localhost:0',
    ': .manifests head, get, put',
    ':   .push',
    ':   .resolve',
    ': .blobs head, get',
    ':   .pull',
    ': .uploads post, put',
    ':   .push',
    '```',
    '',
  ].join('\n');

let upstream: FakeUpstream;
let home: string;
const mirrors: MirrorRouter[] = [];

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-push-router-'));
  upstream = await startFakeUpstream((req, res) => {
    // Blobs exist only in repository "a"; manifests are taken whole.
    if (req.url?.startsWith(`/v2/a/blobs/${BLOB_DIGEST}`)) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': BLOB.length, 'Docker-Content-Digest': BLOB_DIGEST });
      return res.end(req.method === 'HEAD' ? undefined : BLOB);
    }
    req.resume();
    req.once('end', () => res.writeHead(req.method === 'PUT' ? 201 : 404, { 'Content-Length': 0 }).end());
  });
}, 30_000);

afterAll(async () => {
  await Promise.all(mirrors.map((m) => m.close()));
  await upstream.close();
  fs.rmSync(home, { recursive: true, force: true });
});

beforeEach(() => {
  upstream.requests.length = 0;
});

function app(runmd: string): express.Express {
  const mirror = createMirror({ runmd, home });
  mirrors.push(mirror);
  return express().use(mirror);
}

describe('write methods on a mirror that takes no pushes', () => {
  it('answers 405 with Allow for a write method a route does not list, without an upstream call', async () => {
    const read = app(basicRunmd([upstream.url]));
    const put = await request(read).put('/v2/a/manifests/v1').send('{}');
    expect({ status: put.status, allow: put.headers.allow, code: put.body.errors?.[0]?.code }).toEqual({ status: 405, allow: 'HEAD, GET', code: 'UNSUPPORTED' });
    const del = await request(read).delete(`/v2/a/blobs/${BLOB_DIGEST}`);
    expect({ status: del.status, allow: del.headers.allow }).toEqual({ status: 405, allow: 'HEAD, GET' });
    expect(upstream.requests).toEqual([]);
  });

  it('answers an upload with 405 and an empty Allow when the proxy has no .uploads route', async () => {
    const read = app(basicRunmd([upstream.url]));
    for (const url of ['/v2/a/blobs/uploads/', '/v2/a/blobs/uploads/6f1c']) {
      const res = await request(read).post(url);
      expect({ url, status: res.status, allow: res.headers.allow }).toEqual({ url, status: 405, allow: '' });
    }
    expect(upstream.requests).toEqual([]);
  });
});

describe('a mirror that takes pushes', () => {
  it('asks the upstream for a HEAD of a cached blob: a pusher asks whether it is in this repository', async () => {
    const mirror = app(pushRunmd(upstream.url));
    expect((await request(mirror).get(`/v2/a/blobs/${BLOB_DIGEST}`)).status).toBe(200);
    await waitForCache();
    const head = await request(mirror).head(`/v2/b/blobs/${BLOB_DIGEST}`);
    expect(head.status).toBe(404);
    expect(upstream.requests.at(-1)).toMatchObject({ method: 'HEAD', url: `/v2/b/blobs/${BLOB_DIGEST}` });
  });

  it('cuts off a manifest streamed without Content-Length past 4 MiB with a 413', async () => {
    const mirror = createMirror({ runmd: pushRunmd(upstream.url), home });
    mirrors.push(mirror);
    const server = http.createServer(express().use(mirror));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: '/v2/a/manifests/big', headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Transfer-Encoding': 'chunked' } });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        const chunk = Buffer.alloc(256 * 1024, 0x20);
        let left = 20;
        const write = (): void => {
          while (left > 0) {
            left--;
            if (!req.write(chunk)) return void req.once('drain', write);
          }
          req.end();
        };
        write();
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ errors: [{ code: 'SIZE_INVALID' }] });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** The blob is placed in the cache once its download verified; a later HEAD could be answered from there. */
async function waitForCache(): Promise<void> {
  const file = path.join(home, 'cache', 'blobs', 'sha256', BLOB_DIGEST.slice(7));
  for (let i = 0; i < 200 && !fs.existsSync(file); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(fs.existsSync(file)).toBe(true);
}
