import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Download, type DownloadHooks } from '../../../lib/cache/download';
import { readAlong } from './read-along';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-download-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

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

function start(blob: Buffer, hooks: DownloadHooks): { download: Download; body: PassThrough } {
  const body = new PassThrough();
  const fd = fs.openSync(path.join(dir, `${hex(blob)}-${Math.random()}`), 'wx+');
  return { body, download: new Download(hex(blob), blob.length, fd, body, hooks) };
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
    const blob = Buffer.alloc(200_000, 3);
    await expectEveryByteBeforePlacing(blob);
  });

  it('never hands out the last byte of content that does not match its digest', async () => {
    const blob = Buffer.alloc(200_000, 3);
    const hooks = gatedHooks();
    const body = new PassThrough();
    const fd = fs.openSync(path.join(dir, 'mismatch'), 'wx+');
    const download = new Download(hex(Buffer.from('other')), blob.length, fd, body, hooks);
    const read = readAlong(download).result;
    body.end(blob);
    const result = await read;
    expect(result.error?.message).toMatch(/does not match/);
    expect(result.data.length).toBeLessThan(blob.length);
    expect(await download.settled).toBe('failed');
    expect(hooks.discarded).toBe(true);
  });

  it('still serves verified bytes when placing the file fails, and reports nothing stored', async () => {
    const blob = Buffer.alloc(150_000, 9);
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

describe('Download when the disk takes fewer bytes than asked', () => {
  afterEach(() => jest.restoreAllMocks());

  /** Makes the next writev(2) write only `take` bytes of the first buffer, without an error. */
  function shortWriteOnce(take: number): void {
    const real = fs.writev;
    jest.spyOn(fs, 'writev').mockImplementationOnce(((fd: number, buffers: Buffer[], position: number, cb: never) =>
      real(fd, [buffers[0]!.subarray(0, take)], position, cb)) as typeof fs.writev);
  }

  it('writes the rest after a short write, so the file holds every byte', async () => {
    const blob = Buffer.alloc(300_000, 5);
    shortWriteOnce(1000);
    await expectEveryByteBeforePlacing(blob);
  });

  it('fails the download when a write makes no progress', async () => {
    const blob = Buffer.alloc(300_000, 6);
    shortWriteOnce(0);
    const hooks = gatedHooks();
    const { download, body } = start(blob, hooks);
    const read = readAlong(download).result;
    body.end(blob);
    const result = await read;
    expect(result.error?.message).toMatch(/short write/);
    expect(await download.settled).toBe('failed');
    expect(hooks.discarded).toBe(true);
  });
});
