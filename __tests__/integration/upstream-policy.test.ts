import http from 'node:http';
import express from 'express';
import request from 'supertest';
import { createMirror } from '../../lib/mirror';
import { silentLogger } from '../../lib/log';
import { startServer } from '../../lib/server';
import { basicRunmd, startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

const DIGEST = `sha256:${'d'.repeat(64)}`;

/** Redirects that the mirror refuses: policy decisions, not upstream failures (issue 12, point 10). */
describe('refused redirects', () => {
  let storage: FakeUpstream;
  let registry: FakeUpstream;

  beforeAll(async () => {
    storage = await startFakeUpstream((_req, res) => res.end('storage'));
    registry = await startFakeUpstream((req, res) => {
      const repository = req.url?.split('/')[2];
      const locations: Record<string, string> = {
        loop: req.url ?? '/',
        ftp: 'ftp://127.0.0.1/blob',
        userinfo: `http://user:pass@${storage.host}/blob`,
      };
      const location = repository ? locations[repository] : undefined;
      if (!location) {
        res.writeHead(200, { 'Content-Length': 2 });
        return res.end('ok');
      }
      res.writeHead(307, { Location: location, 'Content-Length': 0 });
      res.end();
    });
  });
  afterAll(async () => {
    await storage.close();
    await registry.close();
  });

  const upstreamRequests = (repository: string) => registry.requests.filter((r) => r.url.startsWith(`/v2/${repository}/`)).length;

  it('fails a redirect loop once, after the redirect limit, without retries', async () => {
    const app = express().use(createMirror({ runmd: basicRunmd([registry.url]) }));
    const res = await request(app).get(`/v2/loop/blobs/${DIGEST}`);
    expect(res.status).toBe(502);
    expect(res.body.errors[0].message).toMatch(/redirected more than 10 times/);
    // The first request and 10 redirects; before, three attempts of 11 each.
    expect(upstreamRequests('loop')).toBe(11);
  });

  it('does not let refused redirects open the circuit for other repositories', async () => {
    const app = express().use(createMirror({ runmd: basicRunmd([registry.url]) }));
    for (let i = 0; i < 6; i++) expect((await request(app).get(`/v2/loop/manifests/v${i}`)).status).toBe(502);
    const other = await request(app).get(`/v2/other/blobs/${DIGEST}`);
    expect(other.status).toBe(200);
    expect(other.text).toBe('ok');
  });

  it('refuses an unsupported scheme with one upstream request', async () => {
    const app = express().use(createMirror({ runmd: basicRunmd([registry.url]) }));
    const res = await request(app).get(`/v2/ftp/blobs/${DIGEST}`);
    expect(res.status).toBe(502);
    expect(res.body.errors[0].message).toMatch(/unsupported URL scheme ftp:/);
    expect(upstreamRequests('ftp')).toBe(1);
  });

  it('refuses a Location with userinfo and never sends its credentials', async () => {
    const app = express().use(createMirror({ runmd: basicRunmd([registry.url]) }));
    const before = storage.requests.length;
    const res = await request(app).get(`/v2/userinfo/blobs/${DIGEST}`);
    expect(res.status).toBe(502);
    expect(res.body.errors[0].message).toMatch(/credentials in it/);
    expect(storage.requests.length).toBe(before);
    expect(upstreamRequests('userinfo')).toBe(1);
  });
});

/** Deadlines a trickling upstream cannot stretch (issue 12, point 9). */
describe('trickling upstreams', () => {
  const trickle = (size: number, everyMs: number): http.RequestListener => (req, res) => {
    const repository = req.url?.split('/')[2];
    if (repository === 'healthy') {
      res.writeHead(200, { 'Content-Length': 2, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
      return res.end('{}');
    }
    res.writeHead(200, { 'Content-Length': size, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
    let sent = 0;
    const timer = setInterval(() => {
      res.write('x');
      if (++sent === size) {
        clearInterval(timer);
        res.end();
      }
    }, everyMs);
    res.once('close', () => clearInterval(timer));
  };
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream(trickle(10_000, 100));
  });
  afterAll(() => upstream.close());

  const settings = ': .idle_timeout 30s\n: .manifest_timeout 1s\n: .min_rate 1KiB/s 1s\n';
  const mirrorRunmd = (extra = '') => basicRunmd([upstream.url], settings).replace('+ .proxy localhost:0\n', `+ .proxy localhost:0\n${extra}`);

  it('answers 504 when a manifest is not read whole within .manifest_timeout', async () => {
    const app = express().use(createMirror({ runmd: mirrorRunmd() }));
    const res = await request(app).get('/v2/slow/manifests/v1');
    expect(res.status).toBe(504);
    expect(res.body.errors[0].message).toMatch(/did not send the whole answer within 1000 ms/);
  });

  it('cuts a blob whose body stays below .min_rate, and counts it against the upstream', async () => {
    const server = await startServer(createMirror({ runmd: mirrorRunmd(': .circuit 2 60s\n') }), silentLogger(), { host: '127.0.0.1', port: 0 });
    try {
      for (let i = 0; i < 2; i++) {
        const outcome = await fetchOutcome(`${server.url}/v2/slow/blobs/${DIGEST}`);
        expect(outcome).toMatchObject({ status: 200, complete: false });
        expect(outcome.received).toBeLessThan(10_000);
      }
      // Two failures open the circuit (`.circuit 2`): the upstream is answered for at once.
      expect((await fetchOutcome(`${server.url}/v2/healthy/manifests/v1`)).status).toBe(503);
    } finally {
      await server.close(1000);
    }
  });
});

describe('slow clients', () => {
  const SIZE = 16 * 1024 * 1024;
  let upstream: FakeUpstream;
  beforeAll(async () => {
    const blob = Buffer.alloc(SIZE, 7);
    upstream = await startFakeUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Length': SIZE });
      res.end(blob);
    });
  });
  afterAll(() => upstream.close());

  it('are not cut by .min_rate: a reader that pauses sets the pace, not the upstream', async () => {
    const runmd = basicRunmd([upstream.url], ': .min_rate 1MiB/s 500ms\n');
    const server = await startServer(createMirror({ runmd }), silentLogger(), { host: '127.0.0.1', port: 0 });
    try {
      const outcome = await new Promise<{ status: number; received: number; complete: boolean }>((resolve) => {
        http.get(`${server.url}/v2/a/blobs/${DIGEST}`, (res) => {
          let received = 0;
          res.pause();
          // Several windows without reading: backpressure reaches the upstream socket.
          setTimeout(() => {
            res.on('data', (c: Buffer) => (received += c.length));
            res.resume();
          }, 2_500);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, received, complete: res.complete }));
          res.on('error', () => resolve({ status: res.statusCode ?? 0, received, complete: false }));
        });
      });
      expect(outcome).toEqual({ status: 200, received: SIZE, complete: true });
    } finally {
      await server.close(1000);
    }
  });
});

/** GETs a URL and reports whether the body arrived whole, as a client sees it. */
function fetchOutcome(url: string): Promise<{ status: number; received: number; complete: boolean }> {
  return new Promise((resolve) => {
    http.get(url, (res) => {
      let received = 0;
      res.on('data', (c: Buffer) => (received += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, received, complete: res.complete }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, received, complete: false }));
      res.on('aborted', () => resolve({ status: res.statusCode ?? 0, received, complete: false }));
    });
  });
}
