import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findBinary, pushTestImages, startRegistry, type PushedTestImages, type Registry } from '../harness';
import { startMirrorProcess, type MirrorProcess } from '../helpers/mirror-process';

const run = promisify(execFile);
const LARGE_MIB = 64;

let registry: Registry;
let images: PushedTestImages;
let mirror: MirrorProcess;
let dir: string;

const runmd = (upstream: string): string => `# Core e2e mirror

\`\`\` start mirror
+ .runtime
: .mirror ${upstream}
: .host localhost:MIRROR_PORT, resolve, pull

+ .proxy localhost:MIRROR_PORT
: .manifests head, get
:   .resolve
: .blobs head, get
:   .pull
: .tags get
:   .pull
\`\`\`
`;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-core-e2e-'));
  registry = await startRegistry({ auth: 'none' });
  images = await pushTestImages(registry, { largeMiB: LARGE_MIB });
  mirror = await startMirrorProcess(dir, runmd(registry.url));
}, 300_000);

afterAll(async () => {
  await mirror?.stop();
  await registry?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** GETs through the mirror and hashes the body as it streams, never holding it. */
function fetchHashed(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; digest: string; size: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const hash = createHash('sha256');
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          size += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, digest: `sha256:${hash.digest('hex')}`, size }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

const ns = () => `ns=${encodeURIComponent(registry.host)}`;
const OCI_ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json';

describe('pulling through the mirror from a real registry', () => {
  it('serves skopeo (no ns) an image whose digests all match', async () => {
    const out = path.join(dir, 'skopeo-single');
    const src = `docker://127.0.0.1:${mirror.port}/${images.repos.single}:v1`;
    await run(findBinary('skopeo'), ['copy', '--src-tls-verify=false', '--preserve-digests', src, `oci:${out}:v1`], { timeout: 120_000 });
    const index = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    expect(index.manifests[0]?.digest).toBe(images.single.descriptor.digest);
    for (const layer of images.single.layers) {
      const file = path.join(out, 'blobs', ...layer.digest.split(':'));
      expect(`sha256:${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`).toBe(layer.digest);
    }
  });

  it('serves skopeo a multi-arch index with every platform', async () => {
    const out = path.join(dir, 'skopeo-multi');
    const src = `docker://127.0.0.1:${mirror.port}/${images.repos.multi}:v1`;
    await run(findBinary('skopeo'), ['copy', '--all', '--src-tls-verify=false', '--preserve-digests', src, `oci:${out}:v1`], { timeout: 120_000 });
    const index = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    expect(index.manifests[0]?.digest).toBe(images.multi.descriptor.digest);
    expect(fs.existsSync(path.join(out, 'blobs', ...images.multi.arm64.descriptor.digest.split(':')))).toBe(true);
  });

  it('answers raw HTTP with ns: the index by tag and a platform manifest by digest, byte for byte', async () => {
    const byTag = await fetchHashed(`${mirror.url}/v2/${images.repos.multi}/manifests/v1?${ns()}`, { Accept: OCI_ACCEPT });
    expect(byTag.status).toBe(200);
    expect(byTag.digest).toBe(images.multi.descriptor.digest);
    expect(byTag.headers['docker-content-digest']).toBe(images.multi.descriptor.digest);
    const arm = images.multi.arm64.descriptor;
    const byDigest = await fetchHashed(`${mirror.url}/v2/${images.repos.multi}/manifests/${arm.digest}?${ns()}`, { Accept: OCI_ACCEPT });
    expect(byDigest.digest).toBe(arm.digest);
    expect(byDigest.headers['content-type']).toBe(arm.mediaType);
  });

  it(`streams a ${LARGE_MIB} MiB layer with its digest intact within the memory bound`, async () => {
    const layer = images.large!.layers[images.large!.layers.length - 1]!;
    const got = await fetchHashed(`${mirror.url}/v2/${images.repos.large}/blobs/${layer.digest}?${ns()}`);
    expect(got.status).toBe(200);
    expect(got.size).toBe(layer.size);
    expect(got.digest).toBe(layer.digest);
    expect(mirror.peakRss()).toBeLessThan(150 * 1024 * 1024);
  });

  it('keeps memory flat for a slow client: backpressure reaches the upstream', async () => {
    const layer = images.large!.layers[images.large!.layers.length - 1]!;
    const before = mirror.rss();
    let highest = before;
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${mirror.url}/v2/${images.repos.large}/blobs/${layer.digest}?${ns()}`, (res) => {
        // About 3 MB/s: the loopback upstream could deliver the whole blob many times faster.
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          res.pause();
          setTimeout(() => res.resume(), 20);
        });
      });
      req.on('error', reject);
      const sampler = setInterval(() => (highest = Math.max(highest, mirror.rss())), 25);
      setTimeout(() => {
        clearInterval(sampler);
        req.destroy();
        resolve();
      }, 2_000);
    });
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(layer.size);
    // Buffering what the upstream sends would grow by tens of MiB within the first second.
    expect(highest - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('answers a Range request with 206 and the exact bytes', async () => {
    const layer = images.single.layers[0]!;
    const got = await fetchHashed(`${mirror.url}/v2/${images.repos.single}/blobs/${layer.digest}?${ns()}`, { Range: 'bytes=10-19' });
    expect(got.status).toBe(206);
    expect(got.size).toBe(10);
    expect(got.headers['content-range']).toBe(`bytes 10-19/${layer.size}`);
  });

  it('lists tags', async () => {
    const res = await fetch(`${mirror.url}/v2/${images.repos.single}/tags/list?${ns()}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { tags: string[] }).tags).toContain('v1');
  });

  it('rejects bad names, digests and undeclared registries without calling the registry', async () => {
    const seen = (await registry.accessLog()).length;
    const cases: Array<[string, number, string]> = [
      [`/v2/Bad/manifests/v1?${ns()}`, 400, 'NAME_INVALID'],
      [`/v2/${images.repos.single}/blobs/sha256:abc?${ns()}`, 400, 'DIGEST_INVALID'],
      [`/v2/${images.repos.single}/manifests/v1?ns=registry.example.com`, 404, 'NAME_UNKNOWN'],
      [`/v2/${images.repos.single}/manifests/v1?ns=127.0.0.1:1`, 404, 'NAME_UNKNOWN'],
    ];
    for (const [url, status, code] of cases) {
      const res = await fetch(`${mirror.url}${url}`);
      expect([url, res.status]).toEqual([url, status]);
      expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe(code);
    }
    expect((await registry.accessLog()).length).toBe(seen);
  });

  it('logs one structured line per request with ns and status', () => {
    const lines = mirror.log().split('\n').filter((l) => l.includes('"msg":"request"'));
    const withNs = lines.map((l) => JSON.parse(l) as { ns?: string; status: number }).filter((l) => l.ns === registry.host);
    expect(withNs.length).toBeGreaterThan(0);
    expect(withNs.every((l) => typeof l.status === 'number')).toBe(true);
  });
});
