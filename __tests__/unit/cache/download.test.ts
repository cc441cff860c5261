import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Download, type DownloadHooks } from '../../../lib/cache/download';
import { HashWorkers } from '../../../lib/cache/hash-workers';
import { MemoryBudget } from '../../../lib/resilience/memory-budget';
import { readAlong } from './read-along';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-download-'));
const hashers = new HashWorkers();
afterAll(async () => {
  await hashers.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
/** Bytes that differ from offset to offset, so a chunk out of place shows. */
const pattern = (length: number, seed = 0): Buffer => Buffer.from(Array.from({ length }, (_, i) => (i * 13 + seed + (i >> 9)) & 0xff));

/** Hooks whose `place` waits until the test lets it finish. */
function gatedHooks(fail = false): DownloadHooks & { placing: Promise<void>; finish(): void; discarded: boolean } {
  let finish = (): void => undefined;
  let placed = (): void => undefined;
  const gate = new Promise<void>((resolve) => (finish = resolve));
  const placing = new Promise<void>((resolve) => (placed = resolve));
  const hooks = {
    placing,
    finish: () => finish(),
    discarded: false,
    place: async () => {
      placed();
      await gate;
      if (fail) throw new Error('disk full');
    },
    discard: async () => {
      hooks.discarded = true;
    },
  };
  return hooks;
}

function start(blob: Buffer, hooks: DownloadHooks, key = hex(blob), flags = 'wx+', memory?: MemoryBudget): { download: Download; body: PassThrough } {
  const body = new PassThrough();
  const file = path.join(dir, `${key}-${Math.random()}`);
  if (flags === 'r') fs.writeFileSync(file, '');
  const fd = fs.openSync(file, flags);
  return { body, download: new Download(key, blob.length, fd, body, hashers.job(fd), hooks, memory) };
}


/**
 * Streams `blob` through a download with a reader along: the reader gets
 * every byte (the last one included) while placing is still held back, and
 * the download ends verified once placing finishes.
 */
async function expectEveryByteBeforePlacing(blob: Buffer): Promise<void> {
  const hooks = gatedHooks();
  const { download, body } = start(blob, hooks);
  const read = readAlong(download).result;
  body.end(blob);
  await hooks.placing;
  const result = await read;
  expect(result.error).toBeUndefined();
  expect(result.data.equals(blob)).toBe(true);
  hooks.finish();
  expect(await download.settled).toBe('verified');
}

describe('Download', () => {
  it('hands readers the last byte once the digest is verified, before the file is placed', async () => {
    const blob = pattern(200_000, 3);
    await expectEveryByteBeforePlacing(blob);
  });

  it('never hands out the last byte of content that does not match its digest', async () => {
    const blob = pattern(200_000, 3);
    const hooks = gatedHooks();
    const { download, body } = start(blob, hooks, hex(Buffer.from('other')));
    const read = readAlong(download).result;
    body.end(blob);
    const result = await read;
    expect(result.error?.message).toMatch(/does not match/);
    expect(result.data.length).toBeLessThan(blob.length);
    expect(await download.settled).toBe('failed');
    expect(hooks.discarded).toBe(true);
  });

  it('still serves verified bytes when placing the file fails, and reports nothing stored', async () => {
    const blob = pattern(150_000, 9);
    const hooks = gatedHooks(true);
    const { download, body } = start(blob, hooks);
    const early = readAlong(download).result;
    body.end(blob);
    await hooks.placing;
    hooks.finish();
    expect(await download.settled).toBe('failed');
    expect(download.error?.message).toBe('disk full');
    expect(hooks.discarded).toBe(true);
    expect((await early).data.equals(blob)).toBe(true);
  });
});

describe('Download when the file cannot be written', () => {
  it('fails the download and its readers, and removes the file', async () => {
    const blob = pattern(300_000, 6);
    const hooks = gatedHooks();
    // A descriptor open for reading only: the hashing thread's write fails (EBADF).
    const { download, body } = start(blob, hooks, hex(blob), 'r');
    const read = readAlong(download).result;
    body.end(blob);
    const result = await read;
    expect(result.error).toBeDefined();
    expect(result.data.length).toBe(0);
    expect(await download.settled).toBe('failed');
    expect(download.error?.message).toMatch(/EBADF|bad file descriptor/i);
    expect(hooks.discarded).toBe(true);
  });
});

describe('Download in memory', () => {
  it('serves its newest chunks from memory, never past what is readable', async () => {
    const blob = Buffer.alloc(64 * 1024, 1);
    blob.fill(2, 32 * 1024);
    const hooks = gatedHooks();
    const { download, body } = start(blob, hooks);
    body.write(blob.subarray(0, 32 * 1024));
    await new Promise((resolve) => download.once('progress', resolve));
    expect(download.bytesAt(0, blob.length)?.equals(blob.subarray(0, 32 * 1024))).toBe(true);
    expect(download.bytesAt(100, 200)?.equals(blob.subarray(100, 200))).toBe(true);
    // Not received yet.
    expect(download.bytesAt(32 * 1024, blob.length)).toBeUndefined();
    body.end(blob.subarray(32 * 1024));
    await hooks.placing;
    // Verified: the last byte too.
    expect(download.bytesAt(blob.length - 1, blob.length)?.[0]).toBe(2);
    hooks.finish();
    expect(await download.settled).toBe('verified');
  });

  it('holds back the last byte of a download that is not verified yet', async () => {
    const blob = Buffer.alloc(1000, 4);
    const hooks = gatedHooks();
    const { download, body } = start(blob, hooks, hex(Buffer.from('other')));
    body.write(blob);
    await new Promise((resolve) => download.once('progress', resolve));
    expect(download.bytesAt(0, blob.length)?.length).toBe(blob.length - 1);
    expect(download.bytesAt(blob.length - 1, blob.length)).toBeUndefined();
    body.end();
    expect(await download.settled).toBe('failed');
  });

  it('finds any position of its last 8 MiB among many small chunks, and none before', async () => {
    const hooks = gatedHooks();
    const piece = 16 * 1024;
    const blob = pattern(12 * 1024 * 1024, 7);
    const { download, body } = start(blob, hooks);
    for (let at = 0; at < blob.length; at += piece) body.write(blob.subarray(at, at + piece));
    body.end();
    await hooks.placing;
    for (const position of [blob.length - 1, blob.length - piece - 5, 4 * 1024 * 1024 + 3, 6 * 1024 * 1024 + piece + 1]) {
      const view = download.bytesAt(position, blob.length);
      expect(view?.equals(blob.subarray(position, position + view.length))).toBe(true);
      expect(view!.length).toBe(Math.min(piece - (position % piece), blob.length - position));
    }
    // Older than the last 8 MiB: read from the file.
    expect(download.bytesAt(1000, blob.length)).toBeUndefined();
    expect(download.bytesAt(3 * 1024 * 1024, blob.length)).toBeUndefined();
    hooks.finish();
    expect(await download.settled).toBe('verified');
  });
});

describe('Download readers', () => {
  it('cannot hold a download whose descriptor is closed (finished, every reader gone)', async () => {
    const blob = pattern(10_000, 2);
    const hooks = gatedHooks();
    const { download, body } = start(blob, hooks);
    body.end(blob);
    await hooks.placing;
    hooks.finish();
    expect(await download.settled).toBe('verified');
    expect(download.retain()).toBe(false);
  });

  it('keeps the descriptor open for a reader that joined before the end', async () => {
    const blob = pattern(10_000, 3);
    const hooks = gatedHooks();
    const { download, body } = start(blob, hooks);
    expect(download.retain()).toBe(true);
    body.end(blob);
    await hooks.placing;
    hooks.finish();
    expect(await download.settled).toBe('verified');
    const read = Buffer.alloc(blob.length);
    expect(fs.readSync(download.fd, read, 0, blob.length, 0)).toBe(blob.length);
    expect(read.equals(blob)).toBe(true);
    download.release();
  });
});

describe('Download under a memory budget', () => {
  it('keeps no chunk in memory when the budget is spent: readers read the file, and get every byte', async () => {
    const blob = pattern(200_000, 4);
    const memory = new MemoryBudget(1024);
    const hooks = gatedHooks();
    const { download, body } = start(blob, hooks, hex(blob), 'wx+', memory);
    const read = readAlong(download).result;
    body.write(blob.subarray(0, 100_000));
    await new Promise((resolve) => download.once('progress', resolve));
    expect(download.bytesAt(0, 100)).toBeUndefined();
    body.end(blob.subarray(100_000));
    await hooks.placing;
    hooks.finish();
    expect((await read).data.equals(blob)).toBe(true);
    expect(await download.settled).toBe('verified');
    expect(memory.inUse).toBe(0);
  });

  it('gives back the chunks it kept once the last reader is gone', async () => {
    const blob = pattern(100_000, 5);
    const memory = new MemoryBudget(1024 * 1024);
    const hooks = gatedHooks();
    const { download, body } = start(blob, hooks, hex(blob), 'wx+', memory);
    download.retain();
    body.end(blob);
    await hooks.placing;
    expect(memory.inUse).toBe(blob.length);
    hooks.finish();
    await download.settled;
    expect(memory.inUse).toBe(blob.length);
    download.release();
    expect(memory.inUse).toBe(0);
  });

  it('gives its kept chunks back when a download waits for memory', async () => {
    const blob = pattern(100_000, 7);
    const memory = new MemoryBudget(150_000);
    const hooks = gatedHooks();
    const { download, body } = start(blob, hooks, hex(blob), 'wx+', memory);
    download.retain();
    body.end(blob);
    await hooks.placing;
    expect(memory.inUse).toBe(blob.length);
    await memory.take(100_000);
    expect(download.bytesAt(0, 100)).toBeUndefined();
    expect(memory.inUse).toBe(100_000);
    hooks.finish();
    await download.settled;
    download.release();
  });
});
