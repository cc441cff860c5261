import express from 'express';
import request from 'supertest';
import { createMirror } from '../../lib/mirror';
import { basicRunmd, startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

const DIGEST = `sha256:${'d'.repeat(64)}`;
const withSettings = (url: string, settings: string): string => basicRunmd([url]).replace('+ .proxy localhost:0\n', `+ .proxy localhost:0\n${settings}`);

describe('upstream resilience', () => {
  let upstream: FakeUpstream;
  let failuresLeft = 0;
  let status = 200;

  beforeAll(async () => {
    upstream = await startFakeUpstream((req, res) => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        req.socket.destroy();
        return;
      }
      res.writeHead(status, { 'Content-Length': 3 });
      res.end('abc');
    });
  });
  afterAll(() => upstream.close());
  beforeEach(() => {
    upstream.requests.length = 0;
    status = 200;
  });

  it('retries a request whose connection broke before any answer', async () => {
    failuresLeft = 2;
    const app = express().use(createMirror({ runmd: withSettings(upstream.url, ': .retries 2\n') }));
    const res = await request(app).get(`/v2/a/blobs/${DIGEST}`);
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(3);
  });

  it('gives up after the configured retries', async () => {
    failuresLeft = 5;
    const app = express().use(createMirror({ runmd: withSettings(upstream.url, ': .retries 1\n') }));
    const res = await request(app).get(`/v2/a/blobs/${DIGEST}`);
    expect(res.status).toBe(502);
    expect(upstream.requests).toHaveLength(2);
    failuresLeft = 0;
  });

  it('opens the circuit after repeated 5xx and then answers 503 without asking the upstream', async () => {
    status = 500;
    const mirror = createMirror({ runmd: withSettings(upstream.url, ': .retries 0\n: .circuit 2 1m\n') });
    const app = express().use(mirror);
    // The upstream's 500 reaches the client as 502 Bad Gateway.
    for (let i = 0; i < 2; i++) expect((await request(app).get(`/v2/a/blobs/${DIGEST}`)).status).toBe(502);
    const fast = await request(app).get(`/v2/a/blobs/${DIGEST}`);
    expect(fast.status).toBe(503);
    expect(fast.headers['retry-after']).toBe('60');
    expect(upstream.requests).toHaveLength(2);
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toContainEqual({ name: 'upstreams', ok: false, detail: `open circuit: ${upstream.host}` });
    expect((await request(app).get('/healthz')).status).toBe(200);
    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toContain(`lifec_circuit_state{upstream="${upstream.host}"} 2`);
    expect(metrics.text).toMatch(/lifec_http_requests_total\{route="blobs",method="GET",status="503"\} 1/);
  });

  it('shows an open circuit as half-open once its cooldown is over, before any request', async () => {
    status = 500;
    let now = 1_000_000;
    const mirror = createMirror({ runmd: withSettings(upstream.url, ': .retries 0\n: .circuit 1 30s\n'), clock: { now: () => now } });
    const app = express().use(mirror);
    expect((await request(app).get(`/v2/a/blobs/${DIGEST}`)).status).toBe(502);
    const state = async (): Promise<string | undefined> =>
      new RegExp(`lifec_circuit_state\\{upstream="${upstream.host}"\\} (\\d)`).exec((await request(app).get('/metrics')).text)?.[1];
    expect(await state()).toBe('2');
    now += 30_000;
    expect(await state()).toBe('1');
    expect(upstream.requests).toHaveLength(1);
  });
});
