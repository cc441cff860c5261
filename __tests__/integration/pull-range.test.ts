import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { createMirror } from '../../lib/mirror';
import { basicRunmd, startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

const DIGEST = `sha256:${'e'.repeat(64)}`;

describe('pull of a blob the cache cannot take, asked with Range', () => {
  let upstream: FakeUpstream;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-pull-range-'));
  const timers = new Set<NodeJS.Timeout>();

  beforeAll(async () => {
    upstream = await startFakeUpstream((req, res) => {
      if (req.headers.range) {
        res.writeHead(206, { 'Content-Length': 2, 'Content-Range': 'bytes 0-1/*' });
        res.end('ab');
        return;
      }
      // No Content-Length (not cacheable) and no end: a huge blob, streamed for as long as it is read.
      res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
      const timer = setInterval(() => res.write(Buffer.alloc(64 * 1024)), 5);
      timers.add(timer);
      res.on('close', () => (clearInterval(timer), timers.delete(timer)));
    });
  });
  afterAll(async () => {
    for (const timer of timers) clearInterval(timer);
    await upstream.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('drops the full answer and asks again with the range, without holding the only download slot', async () => {
    const runmd = basicRunmd([upstream.url]).replace('+ .proxy localhost:0\n', `+ .proxy localhost:0\n: .cache ${dir}\n: .downloads 1 4\n`);
    const app = express().use(createMirror({ runmd }));
    const res = await request(app).get(`/v2/a/blobs/${DIGEST}`).set('Range', 'bytes=0-1').responseType('blob');
    expect(upstream.requests.map((r) => r.headers.range)).toEqual([undefined, 'bytes=0-1']);
    expect(res.status).toBe(206);
    expect(Buffer.from(res.body as Buffer).toString()).toBe('ab');
  }, 60_000);
});
