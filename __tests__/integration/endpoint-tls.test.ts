import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { createMirror } from '../../lib/mirror';
import { makeTestCerts, type TestCerts } from '../helpers/test-certs';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const BLOB_PATH = `/v2/library/app/blobs/${DIGEST}`;

function runmd(endpointLines: string): string {
  return [
    '``` start mirror',
    '+ .runtime',
    // The registry itself is never asked in these tests: only the endpoint's TLS is at stake.
    ': .mirror http://127.0.0.1:9',
    endpointLines,
    ': .origin off',
    '+ .proxy localhost:0',
    ': .cache off',
    ': .retries 0',
    ': .blobs head, get',
    ':   .pull',
    '```',
    '',
  ].join('\n');
}

describe('endpoint TLS: .ca and .client_cert', () => {
  let dir: string;
  let certs: TestCerts;
  let tier: https.Server;
  let mtls: https.Server;
  const url = (server: https.Server): string => `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-tls-'));
    certs = makeTestCerts(dir);
    const handler = (_req: unknown, res: import('node:http').ServerResponse): void => void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[]}');
    const options = { cert: fs.readFileSync(certs.serverCert), key: fs.readFileSync(certs.serverKey) };
    tier = https.createServer(options, handler);
    mtls = https.createServer({ ...options, ca: fs.readFileSync(certs.ca), requestCert: true, rejectUnauthorized: true }, handler);
    await Promise.all([tier, mtls].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  });
  afterAll(async () => {
    await Promise.all([tier, mtls].map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports a certificate that does not verify as an error naming the host', async () => {
    const app = express().use(createMirror({ runmd: runmd(`: .endpoint ${url(tier)}`) }));
    const res = await request(app).get(BLOB_PATH);
    expect(res.status).toBe(503);
    const host = new URL(url(tier)).host;
    expect(res.body.errors[0].message).toContain(`the TLS certificate of ${host} does not verify`);
  });

  it('trusts the endpoint\'s own CA with .ca', async () => {
    const app = express().use(createMirror({ runmd: runmd(`: .endpoint ${url(tier)}\n: .ca ${certs.ca}`) }));
    const res = await request(app).get(BLOB_PATH);
    // The endpoint's own answer (it has no such blob), reached over verified TLS.
    expect(res.status).toBe(404);
    expect(res.headers['lifec-endpoint']).toBe(new URL(url(tier)).host);
  });

  it('trusts a registry\'s own CA with .ca under its .mirror (no endpoints)', async () => {
    const text = (ca: string): string =>
      ['``` start mirror', '+ .runtime', `: .mirror ${url(tier)}`, ca, '+ .proxy localhost:0', ': .cache off', ': .retries 0', ': .blobs head, get', ':   .pull', '```', ''].join('\n');
    expect((await request(express().use(createMirror({ runmd: text('') }))).get(BLOB_PATH)).status).toBe(502);
    const res = await request(express().use(createMirror({ runmd: text(`: .ca ${certs.ca}`) }))).get(BLOB_PATH);
    expect(res.status).toBe(404);
  });

  it('presents the client certificate of .client_cert to a tier that requires mutual TLS', async () => {
    const without = express().use(createMirror({ runmd: runmd(`: .endpoint ${url(mtls)}\n: .ca ${certs.ca}`) }));
    expect((await request(without).get(BLOB_PATH)).status).toBe(503);
    const app = express().use(createMirror({ runmd: runmd(`: .endpoint ${url(mtls)}\n: .ca ${certs.ca}\n: .client_cert ${certs.clientCert} ${certs.clientKey}`) }));
    const res = await request(app).get(BLOB_PATH);
    expect(res.status).toBe(404);
  });
});
