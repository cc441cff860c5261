import http from 'node:http';
import express from 'express';
import request from 'supertest';
import { createMirror } from '../../lib/mirror';
import { createLogger } from '../../lib/log';
import { parseListenAddress, startServer } from '../../lib/server';
import type { PluginDefinition } from '../../lib/middleware/plugin';
import { basicRunmd, startFakeUpstream } from '../helpers/upstream-server';

const DIGEST = `sha256:${'d'.repeat(64)}`;

describe('parseListenAddress', () => {
  it('binds localhost to the IPv4 loopback containerd dials', () => {
    expect(parseListenAddress('localhost:8578')).toEqual({ host: '127.0.0.1', port: 8578 });
  });
  it('accepts bracketed IPv6', () => {
    expect(parseListenAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
  });
  it.each(['8578', 'localhost', 'localhost:99999', 'a:b'])('rejects "%s"', (address) => {
    expect(() => parseListenAddress(address)).toThrow(/host:port/);
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight download finish and refuses new connections', async () => {
    const upstream = await startFakeUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Length': 4 });
      res.write('ab');
      setTimeout(() => res.end('cd'), 300);
    });
    const server = await startServer(createMirror({ runmd: basicRunmd([upstream.url]) }), createLogger({ level: 'silent' }), { host: '127.0.0.1', port: 0 });
    try {
      const body = new Promise<string>((resolve, reject) => {
        http.get(`${server.url}/v2/a/blobs/${DIGEST}`, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
            if (text === 'ab') void closing();
          });
          res.on('end', () => resolve(text));
          res.on('error', reject);
        });
      });
      let closed: Promise<void> | undefined;
      const closing = async () => {
        closed = server.close(5_000);
      };
      expect(await body).toBe('abcd');
      await closed;
      await expect(fetch(`${server.url}/v2/`)).rejects.toThrow();
    } finally {
      await upstream.close();
    }
  });
});

describe('server errors', () => {
  it('logs an accept error (how Node reports EMFILE) instead of crashing, and keeps serving', async () => {
    const server = await startServer(createMirror({ runmd: basicRunmd(['http://127.0.0.1:9']) }), createLogger({ level: 'silent' }), { host: '127.0.0.1', port: 0 });
    try {
      // node:net emits an accept failure as 'error' on the server; unheard, it throws.
      const accept = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });
      expect(() => server.server.emit('error', accept)).not.toThrow();
      expect((await fetch(`${server.url}/v2/`)).status).toBeLessThan(500);
    } finally {
      await server.close(1000);
    }
  });
});

describe('connection limit', () => {
  it('refuses connections past .connections and accepts again once one closes', async () => {
    const runmd = basicRunmd(['http://127.0.0.1:9']).replace('+ .proxy localhost:0', '+ .proxy localhost:0\n: .connections 1');
    const server = await startServer(createMirror({ runmd }), createLogger({ level: 'silent' }), { host: '127.0.0.1', port: 0 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (options: http.RequestOptions = {}) =>
      new Promise<number>((resolve, reject) => {
        http.get(`${server.url}/v2/`, options, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        }).on('error', reject);
      });
    try {
      expect(await get({ agent })).toBe(200);
      // The kept-alive connection is the one allowed: a second one is closed at once.
      await expect(get({ agent: false })).rejects.toThrow();
      agent.destroy();
      await new Promise((r) => setTimeout(r, 100));
      expect(await get({ agent: false })).toBe(200);
    } finally {
      agent.destroy();
      await server.close(1000);
    }
  });
});

describe('unexpected errors', () => {
  it('become a 500 with OCI error JSON and a log line, and the mirror keeps serving', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream });
    const broken: PluginDefinition = {
      name: 'broken',
      summary: 'throws',
      routes: ['blobs'],
      terminal: true,
      create: () => () => {
        throw new Error('boom');
      },
    };
    const runmd = basicRunmd(['http://127.0.0.1:9']).replace(': .blobs head, get\n:   .pull', ': .blobs head, get\n:   .broken');
    const app = express().use(createMirror({ runmd, logger, plugins: new Map([['broken', broken]]) }));
    const res = await request(app).get(`/v2/a/blobs/${DIGEST}`);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ errors: [{ code: 'UNKNOWN', message: 'internal error in the mirror', detail: null }] });
    expect(lines.some((l) => l.includes('internal error in the mirror'))).toBe(true);
    expect((await request(app).get('/v2/')).status).toBe(200);
  });
});
