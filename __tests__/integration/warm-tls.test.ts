import { createHash } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { silentLogger } from '../../lib/log';
import { startServer, type RunningServer } from '../../lib/server';
import type { WarmJobReport } from '../../lib/warm/report';
import { waitUntil } from '../harness';
import { makeTestCa } from '../helpers/test-ca';
import { startFakeUpstream, type FakeUpstream } from '../helpers/upstream-server';

const digest = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const layer = Buffer.from('a layer\n');
const config = Buffer.from('{}');
const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest(config), size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digest(layer), size: layer.length }] }));
const blobs = new Map([[digest(layer), layer], [digest(config), config]]);

let dir: string;
let upstream: FakeUpstream;
let mirror: MirrorRouter;
let server: RunningServer;
let ca: Buffer;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-warm-tls-'));
  const testCa = makeTestCa(dir);
  testCa.issue('mirror');
  ca = fs.readFileSync(testCa.caFile);
  // A registry with one image, app:v1.
  upstream = await startFakeUpstream((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const body = path.endsWith('/manifests/v1') || path.endsWith(`/manifests/${digest(manifest)}`) ? manifest : blobs.get(path.split('/blobs/')[1] ?? '');
    if (!body) return void res.writeHead(404).end();
    const type = body === manifest ? 'application/vnd.oci.image.manifest.v1+json' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'docker-content-digest': digest(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  const runmd = `\`\`\` start mirror\n+ .runtime\n: .mirror ${upstream.url}\n\n+ .proxy localhost:0\n: .tls mirror.crt mirror.key\n: .cache ${dir}/cache\n: .manifests head, get\n:   .resolve\n: .blobs head, get\n:   .pull\n\`\`\`\n`;
  mirror = createMirror({ runmd, home: dir, logger: silentLogger() });
  server = await startServer(mirror, silentLogger(), { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close(1000);
  await upstream?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A JSON request to the HTTPS mirror, trusting the test CA. */
function call<T>(method: string, urlPath: string, body?: unknown): Promise<{ status: number; json: T }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${server.url}${urlPath}`, { method, ca, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) as T }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

describe('warming a mirror that serves HTTPS (.tls)', () => {
  it('reads the image through its own HTTPS socket into the cache', async () => {
    expect(server.url).toMatch(/^https:/);
    const started = await call<WarmJobReport>('POST', '/_lifec/warm', { references: [`${upstream.host}/app:v1`] });
    expect(started.status).toBe(202);
    let report = started.json;
    await waitUntil('the warm job ends', async () => (report = (await call<WarmJobReport>('GET', `/_lifec/warm/${started.json.id}`)).json).state !== 'running', 30_000);
    expect(report).toMatchObject({ state: 'done', images: [{ state: 'done', items: [{ kind: 'manifest' }, { kind: 'config', cached: false }, { kind: 'layer', cached: false }] }] });
    expect(upstream.requests.filter((r) => r.method === 'GET' && r.url.includes(`/blobs/${digest(layer)}`))).toHaveLength(1);
  });
});
