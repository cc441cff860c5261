import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { formatCredentialFile } from '../../lib/auth/credential-file';
import { registryDir } from '../../lib/auth/credential-source';
import { writeSecretFile } from '../../lib/auth/secret-file';
import { httpRequest, waitUntil } from '../harness';
import { randomStream } from '../harness/prng';
import { startMirrorProcess, type MirrorProcess } from '../helpers/mirror-process';
import { pushRunmd } from '../helpers/push-mirror';
import { OPAQUE_STATE, startUploadUpstream, type UploadUpstream } from '../helpers/upload-upstream';

let upstream: UploadUpstream;
let mirror: MirrorProcess;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-push-faults-'));
  upstream = await startUploadUpstream();
  await writeSecretFile(path.join(registryDir(dir, upstream.host), 'access_token'), formatCredentialFile('pusher', 'secret-password'));
  mirror = await startMirrorProcess(dir, pushRunmd(upstream.url));
}, 120_000);

afterAll(async () => {
  await mirror?.stop();
  await upstream?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ns = (): string => `ns=${encodeURIComponent(upstream.host)}`;
const open = (repo: string) => httpRequest('POST', `${mirror.url}/v2/${repo}/blobs/uploads/?${ns()}`);
const errorCode = (body: Buffer): string | undefined => (JSON.parse(body.toString()) as { errors: Array<{ code: string }> }).errors[0]?.code;

describe('upload answers the mirror rewrites or refuses', () => {
  it.each(['absolute', 'relative'])('turns the %s upstream Location into a mirror-relative one, opaque state and ns kept', async (family) => {
    const res = await open(`${family}/app`);
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/v2/${family}/app/blobs/uploads/b1d2c3e4-0000-4000-8000-000000000001?${OPAQUE_STATE}&${ns()}`);
    expect(res.headers['docker-upload-uuid']).toBe('b1d2c3e4-0000-4000-8000-000000000001');
    const next = await httpRequest('PATCH', `${mirror.url}${String(res.headers.location)}`, { 'Content-Type': 'application/octet-stream' }, Buffer.from('chunk'));
    expect(next.status).toBe(202);
    // The opaque state reached the registry byte for byte, and the mirror's ns did not.
    expect(upstream.requests.at(-1)?.url).toBe(`/v2/${family}/app/blobs/uploads/b1d2c3e4-0000-4000-8000-000000000001?${OPAQUE_STATE}`);
  });

  it.each(['offsite', 'redirect'])('refuses a Location on another host (%s) instead of following it or sending the client there', async (family) => {
    const res = await open(`${family}/app`);
    expect({ status: res.status, code: errorCode(res.body), location: res.headers.location }).toEqual({ status: 502, code: 'UNAVAILABLE', location: undefined });
  });

  it('answers a 401 mid-upload with an OCI 401, drops the token, and the retry gets a new one', async () => {
    const opened = await open('expired/app');
    const used = upstream.requests.at(-1)?.headers.authorization;
    const patch = () => httpRequest('PATCH', `${mirror.url}${String(opened.headers.location)}`, { 'Content-Type': 'application/octet-stream' }, Buffer.alloc(1024));
    const rejected = await patch();
    expect({ status: rejected.status, code: errorCode(rejected.body), challenge: rejected.headers['www-authenticate'] }).toEqual({ status: 401, code: 'UNAUTHORIZED', challenge: undefined });
    await patch();
    const retried = upstream.requests.at(-1)?.headers.authorization;
    expect(retried).toMatch(/^Bearer token-\d+$/);
    expect(retried).not.toBe(used);
  });
});

describe('a client that leaves before the answer', () => {
  it("reads the registry's answer anyway, so the mirror's connection to it goes back to the pool", async () => {
    const opened = await open('late/app');
    const url = `${mirror.url}${String(opened.headers.location)}`;
    const req = http.request(url, { method: 'PATCH', agent: false, headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': '1024' } });
    req.on('error', () => undefined);
    req.end(Buffer.alloc(1024));
    await waitUntil('the registry read the whole body', () => upstream.lateHeld(), 30_000);
    const held = upstream.connections.at(-1);
    req.destroy();
    // Give the mirror time to see the client go before the registry answers.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await upstream.releaseLate();
    // Left unread, the answer would pin that connection (busy, never reused) until a timeout.
    const patch = () => httpRequest('PATCH', `${mirror.url}/v2/relative/app/blobs/uploads/b1d2c3e4-0000-4000-8000-000000000001?${ns()}`, {}, Buffer.from('x'));
    await waitUntil('the connection is reused', async () => ((await patch()).status === 202 ? upstream.connections.at(-1) === held : false), 20_000);
  });
});

describe('a registry that reads uploads slowly', () => {
  it('holds the client back through the mirror: memory stays flat', async () => {
    const opened = await open('slow/app');
    const before = mirror.rss();
    let highest = before;
    let sent = 0;
    const body = randomStream('slow-upload', 256 << 20).on('data', (chunk: Buffer) => (sent += chunk.length));
    const req = http.request(`${mirror.url}${String(opened.headers.location)}`, { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream' } });
    req.on('error', () => undefined);
    body.pipe(req);
    const sampler = setInterval(() => (highest = Math.max(highest, mirror.rss())), 25);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    clearInterval(sampler);
    body.unpipe(req);
    req.destroy();
    expect(upstream.slowBytes()).toBeGreaterThan(0);
    // Without backpressure the mirror would read the client's 256 MiB in well under a second.
    expect(sent).toBeLessThan(64 << 20);
    expect(highest - before).toBeLessThan(16 * 1024 * 1024);
  });
});
