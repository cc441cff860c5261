import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { httpRequest, pushBlob, startRegistry, type Registry } from '../harness';
import { startMirrorProcess, type MirrorProcess } from '../helpers/mirror-process';

const MiB = 1024 * 1024;
const BLOB_BYTES = 16 * MiB;
const COLD = 40;
const CACHED_READERS = 20;
/** Cold downloads of the warm-up, which brings the allocator and the heap to their working size first. */
const WARM_UP = 8;
const BUDGET = 64 * MiB;
const sha256 = (bytes: Buffer): string => `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;

/** Reads a blob at a few MB/s (a pause after every chunk); resolves with what arrived. */
function slowRead(url: string): Promise<{ status: number; bytes: number; digest: string }> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    http
      .get(url, { agent: false }, (res) => {
        res.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          bytes += chunk.length;
          res.pause();
          setTimeout(() => res.resume(), 10);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, digest: `sha256:${hash.digest('hex')}` }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/**
 * Issue 12, point 14: 40 concurrent cold downloads of 16 MiB with slow
 * readers, plus 20 slow readers of a cached blob, keep the mirror's resident
 * memory under its idle baseline plus `.buffer_memory`.
 */
describe('buffer memory budget', () => {
  let home: string;
  let registry: Registry;
  let mirror: MirrorProcess;
  const digests: string[] = [];

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-memory-'));
    registry = await startRegistry();
    // Blob i is 16 MiB of the byte i: distinct digests, nothing to keep in memory here.
    for (let i = 0; i <= COLD + WARM_UP; i++) digests.push(await pushBlob(registry.url, 'app', Buffer.alloc(BLOB_BYTES, i + 1)));
    const runmd = `\`\`\` start mirror\n+ .runtime\n: .mirror ${registry.url}\n\n+ .proxy 127.0.0.1:MIRROR_PORT\n: .cache ${path.join(home, 'cache')}\n: .buffer_memory ${BUDGET / MiB}MiB\n: .downloads 16 256\n: .blobs head, get\n:   .pull\n\`\`\`\n`;
    mirror = await startMirrorProcess(home, runmd);
  }, 300_000);
  afterAll(async () => {
    await mirror?.stop();
    await registry?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('keeps resident memory under the idle baseline plus the budget', async () => {
    const url = (digest: string) => `${mirror.url}/v2/app/blobs/${digest}`;
    const cached = digests[COLD]!;
    // Warm up every path (downloads read along, cache hits) at a smaller scale: the
    // baseline is the mirror at rest after work, its heap and allocator grown to their working size.
    expect((await slowRead(url(cached))).digest).toBe(cached);
    const warmUp = await Promise.all([...digests.slice(COLD + 1).map((d) => slowRead(url(d))), ...Array.from({ length: 4 }, () => slowRead(url(cached)))]);
    expect(warmUp.every((r) => r.status === 200 && r.bytes === BLOB_BYTES)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const baseline = mirror.rss();

    let highest = baseline;
    const sampler = setInterval(() => (highest = Math.max(highest, mirror.rss())), 20);
    try {
      const reads = [...digests.slice(0, COLD).map((d) => slowRead(url(d))), ...Array.from({ length: CACHED_READERS }, () => slowRead(url(cached)))];
      const results = await Promise.all(reads);
      results.forEach((result, i) => expect({ i, status: result.status, bytes: result.bytes, digest: result.digest }).toEqual({ i, status: 200, bytes: BLOB_BYTES, digest: digests[Math.min(i, COLD)] }));
    } finally {
      clearInterval(sampler);
    }
    process.stdout.write(`memory budget: baseline ${(baseline / MiB).toFixed(0)} MiB, highest ${(highest / MiB).toFixed(0)} MiB, budget ${BUDGET / MiB} MiB\n`);
    expect(highest).toBeLessThan(baseline + BUDGET);
  }, 300_000);
});
