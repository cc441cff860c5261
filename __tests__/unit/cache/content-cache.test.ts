import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { BlobStore } from '../../../lib/cache/blob-store';
import type { BlobSource } from '../../../lib/cache/blob-source';
import { ContentCache } from '../../../lib/cache/content-cache';
import type { Download } from '../../../lib/cache/download';
import { silentLogger } from '../../../lib/log';
import type { UpstreamResponse } from '../../../lib/upstream/exchange';
import { readAlong } from './read-along';

const hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const dirs: string[] = [];
const caches: ContentCache[] = [];

function newCache(maxBytes = 1024 * 1024, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-cache-'))): ContentCache {
  dirs.push(dir);
  let now = 1_000;
  const cache = new ContentCache({ dir, maxBytes, logger: silentLogger(), clock: { now: () => (now += 1) } });
  caches.push(cache);
  return cache;
}

function upstream(size: number, status = 200): { response: UpstreamResponse; body: PassThrough } {
  const body = new PassThrough();
  return { body, response: { status, headers: { 'content-length': String(size) }, body, url: 'http://up/blob' } };
}

function downloadOf(source: BlobSource): Download {
  if (source.kind !== 'download') throw new Error(`expected a download, got ${source.kind}`);
  return source.download;
}

afterAll(async () => {
  for (const cache of caches) await cache.close(100);
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('ContentCache', () => {
  it('downloads once for concurrent requests, lets them read along, then serves hits', async () => {
    const cache = newCache();
    const blob = Buffer.alloc(300_000, 7);
    const key = hex(blob);
    const up = upstream(blob.length);
    const fetch = jest.fn(async () => up.response);
    const [a, b] = await Promise.all([cache.fetchBlob(key, fetch), cache.fetchBlob(key, fetch)]);
    expect(fetch).toHaveBeenCalledTimes(1);
    const readers = [a, b].map((s) => readAlong(downloadOf(s)));
    const results = readers.map((r) => r.result);
    up.body.write(blob.subarray(0, 100_000));
    // Read-along: bytes arrive while the download is still running.
    await readers[0]!.firstChunk;
    expect(downloadOf(a).state).toBe('running');
    up.body.end(blob.subarray(100_000));
    for (const result of await Promise.all(results)) expect(result.data.equals(blob)).toBe(true);
    // Readers end once the content is verified; the file is placed (fdatasync, rename) after.
    expect(await downloadOf(a).settled).toBe('verified');
    const hit = await cache.fetchBlob(key, fetch);
    expect(hit.kind).toBe('hit');
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fs.readFileSync(cache.store.blobPath(key)).equals(blob)).toBe(true);
  });

  it('holds back the last byte until the digest is verified, and fails readers on a mismatch', async () => {
    const cache = newCache();
    const blob = Buffer.from('the real content');
    const key = hex(blob);
    const up = upstream(blob.length);
    const download = downloadOf(await cache.fetchBlob(key, async () => up.response));
    const result = readAlong(download).result;
    const corrupt = Buffer.from(blob);
    corrupt[3] = 0x58;
    up.body.end(corrupt);
    const { data, error } = await result;
    expect(error?.message).toMatch(/does not match/);
    expect(data.length).toBeLessThan(blob.length);
    expect(download.state).toBe('failed');
    expect(fs.existsSync(cache.store.blobPath(key))).toBe(false);
    expect(fs.readdirSync(cache.store.tmpDir)).toEqual([]);
    expect((await cache.fetchBlob(key, async () => upstream(0, 404).response)).kind).toBe('upstream');
  });

  it('fails a download that ends short of its Content-Length', async () => {
    const cache = newCache();
    const blob = Buffer.from('abcdef');
    const up = upstream(10);
    const download = downloadOf(await cache.fetchBlob(hex(blob), async () => up.response));
    up.body.end(blob);
    expect(await download.settled).toBe('failed');
    expect(download.error?.message).toMatch(/6 bytes for a blob of 10/);
  });

  it('does not cache error answers or blobs larger than the cap', async () => {
    const cache = newCache(10);
    const key = 'a'.repeat(64);
    expect((await cache.fetchBlob(key, async () => upstream(3, 404).response)).kind).toBe('upstream');
    expect((await cache.fetchBlob(key, async () => upstream(11).response)).kind).toBe('upstream');
  });

  it('evicts least recently used files to stay under its cap', async () => {
    const cache = newCache(250);
    const blobs = [1, 2, 3].map((n) => Buffer.alloc(100, n));
    for (const blob of blobs.slice(0, 2)) await store(cache, blob);
    expect((await cache.find(hex(blobs[0]!)))?.size).toBe(100);
    await store(cache, blobs[2]!);
    expect(cache.usedBytes).toBe(200);
    expect(await cache.find(hex(blobs[1]!))).toBeUndefined();
    expect(fs.existsSync(cache.store.blobPath(hex(blobs[1]!)))).toBe(false);
    expect(await cache.find(hex(blobs[0]!))).toBeDefined();
  });

  it('makes room for a download when it starts, so the directory never holds more than its cap', async () => {
    const cache = newCache(250);
    const blobs = [1, 2, 3].map((n) => Buffer.alloc(100, n));
    for (const blob of blobs.slice(0, 2)) await store(cache, blob);
    const up = upstream(100);
    const source = await cache.fetchBlob(hex(blobs[2]!), async () => up.response);
    // Stored plus downloading: 100 + 100, not 200 + 100.
    expect(cache.usedBytes).toBe(100);
    expect(fs.existsSync(cache.store.blobPath(hex(blobs[0]!)))).toBe(false);
    up.body.end(blobs[2]);
    expect(await downloadOf(source).settled).toBe('verified');
    expect(cache.usedBytes).toBe(200);
    expect(await cache.find(hex(blobs[1]!))).toBeDefined();
  });

  it('does not let an eviction still removing a file take the same blob downloaded again', async () => {
    const cache = newCache(250);
    const blobs = [1, 2, 3].map((n) => Buffer.alloc(100, n));
    for (const blob of blobs.slice(0, 2)) await store(cache, blob);
    // Removing blob 0's files hangs until the gate opens.
    const remove = cache.store.remove.bind(cache.store);
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    jest.spyOn(cache.store, 'remove').mockImplementation(async (key: string) => {
      if (key === hex(blobs[0]!)) await gate;
      return remove(key);
    });
    // Blob 2's download evicts blob 0 (least recently used) and waits for that removal.
    const third = upstream(100);
    const evicting = cache.fetchBlob(hex(blobs[2]!), async () => third.response);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Meanwhile blob 0 is asked again: a miss, downloaded in full.
    const again = upstream(100);
    const source = await cache.fetchBlob(hex(blobs[0]!), async () => again.response);
    again.body.end(blobs[0]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    open();
    expect(await downloadOf(source).settled).toBe('verified');
    third.body.end(blobs[2]);
    expect(await downloadOf(await evicting).settled).toBe('verified');
    expect(await cache.find(hex(blobs[0]!))).toBeDefined();
    expect(fs.existsSync(cache.store.blobPath(hex(blobs[0]!)))).toBe(true);
    jest.restoreAllMocks();
  });

  it('keeps verified files across a restart and removes leftovers, foreign and damaged files', async () => {
    const first = newCache();
    const good = Buffer.from('good content');
    await store(first, good);
    await first.close(100);
    const damagedKey = hex(Buffer.from('original'));
    fs.writeFileSync(first.store.blobPath(damagedKey), 'truncat');
    fs.writeFileSync(path.join(first.store.blobsDir, 'not-a-digest'), 'x');
    fs.writeFileSync(path.join(first.store.tmpDir, `${damagedKey}.123`), 'partial');
    const second = newCache(1024 * 1024, first.store.dir);
    expect((await second.find(hex(good)))?.size).toBe(good.length);
    expect(await second.find(damagedKey)).toBeUndefined();
    expect(fs.readdirSync(second.store.blobsDir)).toEqual([hex(good)]);
    expect(fs.readdirSync(second.store.tmpDir)).toEqual([]);
  });

  it('stores manifests with their media type', async () => {
    const cache = newCache();
    const body = Buffer.from('{"schemaVersion":2}');
    await cache.putManifest(hex(body), body, 'application/vnd.oci.image.index.v1+json');
    expect(await cache.getManifest(hex(body))).toEqual({ body, mediaType: 'application/vnd.oci.image.index.v1+json' });
    expect(await cache.getManifest('b'.repeat(64))).toBeUndefined();
  });

  it('answers no manifest for a cached blob, keeps the blob, and caches the same bytes as a manifest when asked', async () => {
    const cache = newCache();
    const blob = Buffer.from('{"schemaVersion":2,"fetched":"through /blobs/ first"}');
    await store(cache, blob);
    expect(await cache.getManifest(hex(blob))).toBeUndefined();
    expect(await cache.find(hex(blob))).toBeDefined();
    await cache.putManifest(hex(blob), blob, 'application/vnd.oci.image.manifest.v1+json');
    expect(await cache.getManifest(hex(blob))).toEqual({ body: blob, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
  });

  it('aborts downloads still running when closing past the deadline', async () => {
    const cache = newCache();
    const up = upstream(100);
    const download = downloadOf(await cache.fetchBlob('c'.repeat(64), async () => up.response));
    up.body.write(Buffer.alloc(10));
    await cache.close(20);
    expect(download.state).toBe('failed');
    expect(fs.readdirSync(cache.store.tmpDir)).toEqual([]);
  });

  it('relays the answer of a download still waiting for its upstream when closing, and starts none after', async () => {
    const cache = newCache();
    await cache.ready;
    const blob = Buffer.from('asked before the close');
    const up = upstream(blob.length);
    let respond = (_r: UpstreamResponse): void => undefined;
    const starting = cache.fetchBlob(hex(blob), () => new Promise<UpstreamResponse>((resolve) => (respond = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closing = cache.close(10_000);
    respond(up.response);
    // The client still gets its bytes, relayed; nothing new is written to the cache.
    expect((await starting).kind).toBe('upstream');
    await closing;
    expect(fs.readdirSync(cache.store.tmpDir)).toEqual([]);
    const after = upstream(5);
    expect((await cache.fetchBlob('e'.repeat(64), async () => after.response)).kind).toBe('upstream');
  });

  it('relays an upstream answer that comes after the close deadline instead of starting a download', async () => {
    const cache = newCache();
    await cache.ready;
    const up = upstream(10);
    let respond = (_r: UpstreamResponse): void => undefined;
    const starting = cache.fetchBlob('f'.repeat(64), () => new Promise<UpstreamResponse>((resolve) => (respond = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await cache.close(20);
    respond(up.response);
    expect((await starting).kind).toBe('upstream');
    expect(fs.readdirSync(cache.store.tmpDir)).toEqual([]);
  });
});

async function store(cache: ContentCache, blob: Buffer): Promise<void> {
  const up = upstream(blob.length);
  const download = downloadOf(await cache.fetchBlob(hex(blob), async () => up.response));
  up.body.end(blob);
  expect(await download.settled).toBe('verified');
}

describe('ContentCache when the disk fails', () => {
  afterEach(() => jest.restoreAllMocks());

  it('frees the upstream answer when the temporary file cannot be opened', async () => {
    const cache = newCache();
    await cache.ready;
    const up = upstream(100);
    jest.spyOn(fs, 'open').mockImplementationOnce(((...args: unknown[]) => {
      const callback = args[args.length - 1] as (error: Error) => void;
      process.nextTick(() => callback(Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' })));
    }) as unknown as typeof fs.open);
    await expect(cache.fetchBlob('d'.repeat(64), async () => up.response)).rejects.toThrow(/EMFILE/);
    expect(up.body.destroyed).toBe(true);
  });

  it('still downloads when an evicted file cannot be removed, and shares that download', async () => {
    const cache = newCache(250);
    const blobs = [1, 2, 3].map((n) => Buffer.alloc(100, n));
    for (const blob of blobs.slice(0, 2)) await store(cache, blob);
    jest.spyOn(cache.store, 'remove').mockRejectedValue(Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' }));
    const up = upstream(100);
    const fetch = jest.fn(async () => up.response);
    const [a, b] = await Promise.all([cache.fetchBlob(hex(blobs[2]!), fetch), cache.fetchBlob(hex(blobs[2]!), fetch)]);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(downloadOf(b)).toBe(downloadOf(a));
    up.body.end(blobs[2]);
    expect(await downloadOf(a).settled).toBe('verified');
    expect((await cache.fetchBlob(hex(blobs[2]!), fetch)).kind).toBe('hit');
  });

  it('leaves no temporary file behind when storing a manifest fails', async () => {
    const cache = newCache();
    await cache.ready;
    jest.spyOn(cache.store, 'writeType').mockRejectedValueOnce(new Error('ENOSPC: no space left on device'));
    const body = Buffer.from('{"schemaVersion":2,"x":1}');
    await expect(cache.putManifest(hex(body), body, 'application/vnd.oci.image.manifest.v1+json')).rejects.toThrow(/ENOSPC/);
    expect(fs.readdirSync(cache.store.tmpDir)).toEqual([]);
    expect(await cache.find(hex(body))).toBeUndefined();
  });

  it('keeps answering lookups when a damaged file found at start cannot be removed', async () => {
    const first = newCache();
    const good = Buffer.from('still good');
    await store(first, good);
    await first.close(100);
    const damagedKey = hex(Buffer.from('was longer'));
    fs.writeFileSync(first.store.blobPath(damagedKey), 'was');
    jest.spyOn(BlobStore.prototype, 'remove').mockRejectedValue(new Error('EACCES: permission denied'));
    const second = newCache(1024 * 1024, first.store.dir);
    await second.ready;
    expect(await second.find(damagedKey)).toBeUndefined();
    expect(await second.find(damagedKey)).toBeUndefined();
    expect((await second.find(hex(good)))?.size).toBe(good.length);
  });
});
