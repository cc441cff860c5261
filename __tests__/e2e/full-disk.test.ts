import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findBinary, httpRequest, isRoot, pushBlob, startRegistry, type Registry } from '../harness';
import { startMirrorProcess, type MirrorProcess } from '../helpers/mirror-process';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer): string => `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;

/** A metric's value from the mirror's /metrics text (0 when absent). */
async function metric(mirror: MirrorProcess, line: string): Promise<number> {
  const text = (await httpRequest('GET', `${mirror.url}/metrics`)).body.toString();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

/**
 * The cache lives on a 4 MiB tmpfs, mounted in a mount namespace of the
 * mirror's own (`unshare --mount`): a real full disk, seen by no one else
 * and gone with the process.
 */
describe('a full disk does not stop pulls', () => {
  let home: string;
  let cacheDir: string;
  let registry: Registry;
  let mirror: MirrorProcess;
  const blobs = { large: crypto.randomBytes(6 * MiB), first: crypto.randomBytes(3 * MiB), second: crypto.randomBytes(3 * MiB), small: crypto.randomBytes(100 * 1024) };
  const inMirrorNamespace = async (...command: string[]) =>
    (await run(findBinary('nsenter'), ['--target', String(mirror.process.pid), '--mount', ...command])).stdout;
  const get = (bytes: Buffer) => httpRequest('GET', `${mirror.url}/v2/app/blobs/${sha256(bytes)}`);

  beforeAll(async () => {
    if (!isRoot()) throw new Error('this test needs root to mount a small tmpfs in a mount namespace of its own: run it with sudo');
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-full-disk-'));
    cacheDir = path.join(home, 'cache');
    fs.mkdirSync(cacheDir);
    registry = await startRegistry();
    for (const bytes of Object.values(blobs)) await pushBlob(registry.url, 'app', bytes);
    const runmd = `\`\`\` start mirror\n+ .runtime\n: .mirror ${registry.url}\n\n+ .proxy 127.0.0.1:MIRROR_PORT\n: .cache ${cacheDir} 10GiB\n: .blobs head, get\n:   .pull\n\`\`\`\n`;
    const mount = `${findBinary('mount')} -t tmpfs -o size=4m,mode=0700 lifec-test-cache "$0" && exec "$@"`;
    mirror = await startMirrorProcess(home, runmd, [], [findBinary('unshare'), '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', mount, cacheDir]);
  }, 120_000);
  afterAll(async () => {
    await mirror?.stop();
    await registry?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('relays a blob larger than the free space, whole and verified', async () => {
    const answer = await get(blobs.large);
    expect(answer.status).toBe(200);
    expect(answer.body.length).toBe(blobs.large.length);
    expect(sha256(answer.body)).toBe(sha256(blobs.large));
    expect(await metric(mirror, 'lifec_cache_relayed_total{reason="no_space"}')).toBe(1);
    expect(mirror.log()).toContain('cache: relaying a blob without caching it: the disk has no room for it');
  });

  it('caches one of two blobs that fit alone but not together, and relays the other', async () => {
    const [first, second] = await Promise.all([get(blobs.first), get(blobs.second)]);
    expect(sha256(first.body)).toBe(sha256(blobs.first));
    expect(sha256(second.body)).toBe(sha256(blobs.second));
    expect(await metric(mirror, 'lifec_cache_relayed_total{reason="no_space"}')).toBe(2);
  });

  it('keeps caching what fits, and leaves no partial file behind', async () => {
    expect(sha256((await get(blobs.small)).body)).toBe(sha256(blobs.small));
    const hits = await metric(mirror, 'lifec_cache_hits_total{kind="blob"}');
    expect(sha256((await get(blobs.small)).body)).toBe(sha256(blobs.small));
    expect(await metric(mirror, 'lifec_cache_hits_total{kind="blob"}')).toBe(hits + 1);
    expect((await inMirrorNamespace('ls', '-A', path.join(cacheDir, 'tmp'))).trim()).toBe('');
    const stored = (await inMirrorNamespace('ls', path.join(cacheDir, 'blobs', 'sha256'))).trim().split('\n').sort();
    expect(stored).toContain(sha256(blobs.small).slice('sha256:'.length));
    expect(stored).toHaveLength(2);
  });
});
