import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { createMirror } from '../../lib/mirror';
import { startServer, type RunningServer } from '../../lib/server';
import { createLogger, silentLogger } from '../../lib/log';
import { basicRunmd, startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const withTimeouts = (url: string) =>
  basicRunmd([url], ': .headers_timeout 300ms\n: .idle_timeout 300ms\n: .connect_timeout 300ms\n');

describe('redirects', () => {
  let storage: FakeUpstream;
  let registry: FakeUpstream;

  beforeAll(async () => {
    storage = await startFakeUpstream((req, res) => {
      res.writeHead(req.headers.range ? 206 : 200, { 'Content-Type': 'application/octet-stream', 'Content-Length': 3 });
      res.end('abc');
    });
    registry = await startFakeUpstream((req, res) => {
      const target = req.url?.includes('same') ? `/storage/blob` : `${storage.url}/blob?sig=1`;
      if (req.url?.startsWith('/storage/')) {
        res.writeHead(200, { 'Content-Length': 3 });
        res.end('xyz');
        return;
      }
      res.writeHead(307, { Location: target });
      res.end();
    });
  });
  afterAll(async () => {
    await storage.close();
    await registry.close();
  });

  it('follows a redirect to another host without Authorization or Cookie, keeping Range', async () => {
    const app = express().use(createMirror({ runmd: basicRunmd([registry.url]) }));
    const res = await request(app).get(`/v2/a/blobs/${DIGEST}`).set('Authorization', 'Bearer secret').set('Cookie', 'c=1').set('Range', 'bytes=0-2');
    expect(res.status).toBe(206);
    const seen = storage.requests[storage.requests.length - 1];
    expect(seen?.headers.authorization).toBeUndefined();
    expect(seen?.headers.cookie).toBeUndefined();
    expect(seen?.headers.range).toBe('bytes=0-2');
    expect(registry.requests[registry.requests.length - 1]?.headers.authorization).toBe('Bearer secret');
  });

  it('keeps Authorization on a redirect to the same origin', async () => {
    const app = express().use(createMirror({ runmd: basicRunmd([registry.url]) }));
    const res = await request(app).get(`/v2/same/blobs/${DIGEST}`).set('Authorization', 'Bearer secret');
    expect(res.status).toBe(200);
    const last = registry.requests[registry.requests.length - 1];
    expect(last?.url).toBe('/storage/blob');
    expect(last?.headers.authorization).toBe('Bearer secret');
  });
});

describe('upstream failures', () => {
  it('answers 502 UNAVAILABLE when the upstream refuses connections', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const app = express().use(createMirror({ runmd: basicRunmd([`http://127.0.0.1:${port}`]) }));
    const res = await request(app).get('/v2/a/manifests/v1');
    expect(res.status).toBe(502);
    expect(res.body.errors[0].code).toBe('UNAVAILABLE');
  });

  it('answers 504 when the upstream sends no headers in time', async () => {
    const hung = await startFakeUpstream(() => undefined);
    try {
      const app = express().use(createMirror({ runmd: withTimeouts(hung.url) }));
      const res = await request(app).get('/v2/a/manifests/v1');
      expect(res.status).toBe(504);
      expect(res.body.errors[0].message).toMatch(/did not answer within 300 ms/);
    } finally {
      await hung.close();
    }
  });

  it('aborts the client response when the upstream stalls mid-body', async () => {
    const stall = await startFakeUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Length': 1000 });
      res.write(Buffer.alloc(100));
    });
    const mirror = createMirror({ runmd: withTimeouts(stall.url) });
    const server = await startServer(mirror, silentLogger(), { host: '127.0.0.1', port: 0 });
    try {
      const outcome = await fetchOutcome(`${server.url}/v2/a/blobs/${DIGEST}`);
      expect(outcome.status).toBe(200);
      expect(outcome.complete).toBe(false);
      expect(outcome.received).toBeLessThan(1000);
    } finally {
      await server.close(1000);
      await stall.close();
    }
  });

  it('logs a client that goes away mid-download as 499 at debug level, not as a mirror failure', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream });
    const endless = await startFakeUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Length': 10_000_000 });
      const timer = setInterval(() => res.write(Buffer.alloc(1024)), 5);
      res.once('close', () => clearInterval(timer));
    });
    const server = await startServer(createMirror({ runmd: basicRunmd([endless.url]), logger }), logger, { host: '127.0.0.1', port: 0 });
    try {
      await new Promise<void>((resolve) => {
        const req = http.get(`${server.url}/v2/a/blobs/${DIGEST}`, (res) => res.once('data', () => req.destroy()));
        req.on('error', () => undefined);
        req.on('close', () => resolve());
      });
      // The access log line comes on the response's close; the error once the upstream side is torn down too.
      await waitFor(() => lines.some((l) => l.includes('"msg":"request"') && l.includes('"aborted":true')));
      await waitFor(() => lines.some((l) => l.includes('client closed the request') || l.includes('internal error')));
      const errors = lines.map((l) => JSON.parse(l) as { level: number; status?: number; msg: string }).filter((l) => l.msg === 'client closed the request');
      // `status` is what the client got (the 200 already sent); `error` the failure's own status.
      expect(errors).toEqual([expect.objectContaining({ level: 20, status: 200, error: 499 })]);
      expect(lines.some((l) => l.includes('internal error'))).toBe(false);
    } finally {
      await server.close(1000);
      await endless.close();
    }
  });

  it('aborts the upstream request when the client goes away', async () => {
    let upstreamClosed: () => void = () => undefined;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const slow = await startFakeUpstream((req, res) => {
      res.writeHead(200, { 'Content-Length': 10_000_000 });
      const timer = setInterval(() => res.write(Buffer.alloc(1024)), 5);
      req.socket.once('close', () => {
        clearInterval(timer);
        upstreamClosed();
      });
    });
    const server = await startServer(createMirror({ runmd: basicRunmd([slow.url]) }), silentLogger(), { host: '127.0.0.1', port: 0 });
    try {
      const req = http.get(`${server.url}/v2/a/blobs/${DIGEST}`, (res) => {
        res.once('data', () => req.destroy());
      });
      req.on('error', () => undefined);
      await closed;
    } finally {
      await server.close(1000);
      await slow.close();
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

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

export type { RunningServer };
