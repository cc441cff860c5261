import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { silentLogger } from '../../lib/log';
import { startServer, type RunningServer } from '../../lib/server';
import { pushBlob, pushTestImages, startContainerd, startRegistry, waitUntil, writeHostsToml, type Containerd, type PushedTestImages, type Registry } from '../harness';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

const runmd = (upstream: string, cacheDir: string, cap: string): string => `\`\`\` start mirror
+ .runtime
: .mirror ${upstream}

+ .proxy 127.0.0.1:0
: .cache ${cacheDir} ${cap}
: .tag_ttl 100ms
: .circuit 4 60s
: .manifests head, get
:   .resolve
: .blobs head, get
:   .pull
\`\`\`
`;

interface Fetched {
  status: number;
  headers: http.IncomingHttpHeaders;
  digest: string;
  body: Buffer;
  complete: boolean;
}

/** GETs a URL and reports what arrived, also when the connection was cut. */
function fetch(url: string, headers: http.OutgoingHttpHeaders = {}, keep = true): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const hash = createHash('sha256');
      const done = (complete: boolean): void => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, digest: `sha256:${hash.digest('hex')}`, body, complete });
      };
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        if (keep) chunks.push(chunk);
      });
      res.on('end', () => done(res.complete));
      res.on('error', () => done(false));
    });
    req.on('error', reject);
  });
}

/** Sums the samples of a metric whose labels include `labels`. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

let registry: Registry;
let proxy: FaultProxy;
let dir: string;
let cacheDir: string;
let mirror: MirrorRouter;
let server: RunningServer;
const big = randomBytes(64 * MiB);
const bigDigest = sha256(big);

async function startMirror(cap = '1GiB', cache = cacheDir): Promise<void> {
  mirror = createMirror({ runmd: runmd(proxy.url, cache, cap), home: dir, logger: silentLogger() });
  server = await startServer(mirror, silentLogger(), { host: '127.0.0.1', port: 0 });
}

const blobUrl = (repo: string, digest: string): string => `${server.url}/v2/${repo}/blobs/${digest}?ns=${encodeURIComponent(proxy.host)}`;
const metrics = async (): Promise<string> => (await fetch(`${server.url}/metrics`)).body.toString();
const blobGets = (digest: string): number => proxy.requests.filter((r) => r.method === 'GET' && r.url.includes(`/blobs/${digest}`)).length;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-cache-e2e-'));
  cacheDir = path.join(dir, 'cache');
  registry = await startRegistry({ auth: 'none' });
  proxy = await startFaultProxy(registry.url);
  await pushBlob(registry.url, 'big', big);
  await startMirror();
}, 300_000);

afterAll(async () => {
  await server?.close(2000);
  await proxy?.close();
  await registry?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Clients get a verified blob's last byte before the cache has made the file
 * durable (fdatasync, rename), so the file and its metrics appear just after.
 */
async function placed(digest: string): Promise<void> {
  const file = path.join(cacheDir, 'blobs', 'sha256', digest.slice(7));
  await waitUntil(`${digest} placed in the cache`, () => fs.existsSync(file), 30_000);
}

describe('the pull-through cache in front of a real registry', () => {
  it('downloads an uncached 64 MiB blob once for 20 concurrent pulls', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => fetch(blobUrl('big', bigDigest), {}, false)));
    for (const r of results) expect({ status: r.status, digest: r.digest, complete: r.complete }).toEqual({ status: 200, digest: bigDigest, complete: true });
    expect(blobGets(bigDigest)).toBe(1);
    const registryGets = (await registry.accessEntries()).filter((e) => e.method === 'GET' && e.uri.includes(bigDigest));
    expect(registryGets).toHaveLength(1);
    await placed(bigDigest);
    // The download's outcome is counted once the file is in place.
    const counted = async (): Promise<boolean> => metric(await metrics(), 'lifec_upstream_download_bytes_total', { outcome: 'verified' }) > 0;
    await waitUntil('the download counted', counted, 30_000);
    const text = await metrics();
    expect(metric(text, 'lifec_upstream_download_bytes_total', { outcome: 'verified' })).toBe(big.length);
    expect(metric(text, 'lifec_served_bytes_total', { source: 'download' })).toBe(20 * big.length);
    expect(metric(text, 'lifec_cache_misses_total', { kind: 'blob' })).toBe(20);
  }, 180_000);

  it('serves the next pull, a range and a HEAD from the cache without the upstream', async () => {
    const before = proxy.requests.length;
    const again = await fetch(blobUrl('big', bigDigest), {}, false);
    expect(again.digest).toBe(bigDigest);
    const part = await fetch(blobUrl('big', bigDigest), { Range: 'bytes=1000-1999' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 1000-1999/${big.length}`);
    expect(part.body.equals(big.subarray(1000, 2000))).toBe(true);
    expect((await fetch(blobUrl('big', bigDigest), { Range: `bytes=${big.length}-` })).status).toBe(416);
    const head = await new Promise<http.IncomingMessage>((resolve) => http.request(blobUrl('big', bigDigest), { method: 'HEAD', agent: false }, resolve).end());
    expect({ status: head.statusCode, length: head.headers['content-length'] }).toEqual({ status: 200, length: String(big.length) });
    expect(proxy.requests.length).toBe(before);
    const text = await metrics();
    expect(metric(text, 'lifec_cache_hits_total', { kind: 'blob' })).toBe(3);
    expect(metric(text, 'lifec_served_bytes_total', { source: 'cache' })).toBe(big.length + 1000);
  }, 60_000);

  it('never stores a corrupted blob and cuts the client off', async () => {
    const blob = randomBytes(2 * MiB);
    const digest = await pushBlob(registry.url, 'corrupt', blob);
    proxy.inject({ kind: 'corrupt', atByte: MiB }, new RegExp(digest), 1);
    const bad = await fetch(blobUrl('corrupt', digest));
    expect(bad.complete && bad.status === 200 && bad.digest === digest).toBe(false);
    expect(fs.existsSync(path.join(cacheDir, 'blobs', 'sha256', digest.slice(7)))).toBe(false);
    const good = await fetch(blobUrl('corrupt', digest));
    expect({ status: good.status, digest: good.digest }).toEqual({ status: 200, digest });
    await placed(digest);
  }, 60_000);

  it('aborts a download the upstream cut off, and a Range resume completes it', async () => {
    const blob = randomBytes(8 * MiB);
    const digest = await pushBlob(registry.url, 'cut', blob);
    proxy.inject({ kind: 'cut', afterBytes: 3 * MiB }, new RegExp(digest), 1);
    const first = await fetch(blobUrl('cut', digest));
    expect(first.complete && first.body.length === blob.length).toBe(false);
    const rest = await fetch(blobUrl('cut', digest), { Range: `bytes=${first.body.length}-` });
    expect(rest.status).toBe(206);
    expect(sha256(Buffer.concat([first.body, rest.body]))).toBe(digest);
    expect(proxy.requests.filter((r) => r.url.includes(digest) && r.fault === 'cut')).toHaveLength(1);
  }, 60_000);

  it('serves the last known manifest when the upstream fails, and says so', async () => {
    const images = await pushTestImages(registry, { largeMiB: 0, repoPrefix: 'stale/' });
    const url = `${server.url}/v2/${images.repos.single}/manifests/v1?ns=${encodeURIComponent(proxy.host)}`;
    const accept = { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' };
    const fresh = await fetch(url, accept);
    expect(fresh.status).toBe(200);
    await new Promise((r) => setTimeout(r, 150));
    proxy.inject({ kind: 'status', status: 503 }, /manifests/);
    const stale = await fetch(url, accept);
    proxy.clear();
    expect(stale.status).toBe(200);
    expect(stale.headers['lifec-cache']).toBe('stale');
    expect(stale.body.equals(fresh.body)).toBe(true);
    expect(metric(await metrics(), 'lifec_cache_stale_total')).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('answers 503 at once while the circuit is open, and /readyz says so', async () => {
    proxy.inject({ kind: 'down' }, /./);
    const missing = `sha256:${'e'.repeat(64)}`;
    for (let i = 0; i < 2; i++) await fetch(blobUrl('nothing', missing));
    const fast = await fetch(blobUrl('nothing', missing));
    expect(fast.status).toBe(503);
    expect(fast.headers['retry-after']).toBeDefined();
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(metric(await metrics(), 'lifec_circuit_state', { upstream: proxy.host })).toBe(2);
    // Cached content is still served while the upstream is down.
    expect((await fetch(blobUrl('big', bigDigest), {}, false)).digest).toBe(bigDigest);
    proxy.clear();
  }, 60_000);

  it('keeps its cache across a restart and evicts down to a smaller cap', async () => {
    await server.close(2000);
    await startMirror('70MiB');
    proxy.inject({ kind: 'down' }, /./);
    expect((await fetch(blobUrl('big', bigDigest), {}, false)).digest).toBe(bigDigest);
    proxy.clear();
    const sizes = fs.readdirSync(path.join(cacheDir, 'blobs', 'sha256')).map((f) => fs.statSync(path.join(cacheDir, 'blobs', 'sha256', f)).size);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(70 * MiB);
    const extra = randomBytes(8 * MiB);
    const digest = await pushBlob(registry.url, 'extra', extra);
    expect((await fetch(blobUrl('extra', digest), {}, false)).digest).toBe(digest);
    const text = await metrics();
    expect(metric(text, 'lifec_cache_size_bytes')).toBeLessThanOrEqual(70 * MiB);
    expect(metric(text, 'lifec_cache_evictions_total')).toBeGreaterThanOrEqual(1);
  }, 120_000);
});

describe('containerd through the cache', () => {
  let containerd: Containerd;
  let images: PushedTestImages;
  let hostsDir: string;

  beforeAll(async () => {
    containerd = await startContainerd();
    images = await pushTestImages(registry, { largeMiB: 0, repoPrefix: 'ctr/' });
    hostsDir = path.join(dir, 'hosts');
    writeHostsToml(hostsDir, proxy.host, [{ url: server.url }]);
  }, 300_000);
  afterAll(async () => {
    await containerd?.stop();
  });

  it('pulls an image a second time from the cache with the registry stopped', async () => {
    const ref = `${proxy.host}/${images.repos.single}:v1`;
    const first = await containerd.pullWithCtr(ref, hostsDir, { namespace: 'first' });
    expect(first.code).toBe(0);
    await registry.stop();
    const second = await containerd.pullWithCtr(ref, hostsDir, { namespace: 'second' });
    expect({ code: second.code, stderr: second.code === 0 ? '' : second.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await containerd.imageDigest(ref, 'second')).toBe(images.single.descriptor.digest);
  }, 300_000);
});
