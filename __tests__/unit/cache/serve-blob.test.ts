import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Request, Response } from 'express';
import { Download } from '../../../lib/cache/download';
import { HashWorkers } from '../../../lib/cache/hash-workers';
import { serveCachedFile, serveDownload } from '../../../lib/cache/serve-blob';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-serve-blob-'));
const hashers = new HashWorkers(1);
afterAll(async () => {
  await hashers.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

const DIGEST = `sha256:${'a'.repeat(64)}`;
/** A request and a response that record what was set on them; nothing goes on the wire. */
function exchange(): { req: Request; res: Response; headers: Map<string, unknown> } {
  const headers = new Map<string, unknown>();
  const req = { method: 'GET', get: () => undefined } as unknown as Request;
  const res = { setHeader: (name: string, value: unknown) => headers.set(name.toLowerCase(), value), status: () => res, end: () => undefined } as unknown as Response;
  return { req, res, headers };
}

describe('serveCachedFile', () => {
  it('reports a file that vanished as a miss, having set nothing', async () => {
    const { req, res, headers } = exchange();
    const file = { key: 'a'.repeat(64), path: path.join(dir, 'gone'), size: 10 };
    expect(await serveCachedFile(req, res, DIGEST, file, () => undefined)).toBe(false);
    expect(headers.size).toBe(0);
  });

  it('answers 503 with Retry-After when out of file descriptors, before any header', async () => {
    const file = { key: 'a'.repeat(64), path: path.join(dir, 'present'), size: 10 };
    fs.writeFileSync(file.path, 'x'.repeat(10));
    jest.spyOn(fs.promises, 'open').mockRejectedValueOnce(Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' }));
    const { req, res, headers } = exchange();
    await expect(serveCachedFile(req, res, DIGEST, file, () => undefined)).rejects.toMatchObject({ status: 503, headers: { 'Retry-After': '1' } });
    expect(headers.size).toBe(0);
  });

  it('reports a file it may not open as a miss (it is downloaded again)', async () => {
    const file = { key: 'a'.repeat(64), path: path.join(dir, 'present'), size: 10 };
    fs.writeFileSync(file.path, 'x'.repeat(10));
    jest.spyOn(fs.promises, 'open').mockRejectedValueOnce(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    const { req, res } = exchange();
    expect(await serveCachedFile(req, res, DIGEST, file, () => undefined)).toBe(false);
  });
});

describe('serveDownload', () => {
  it('answers an error, before any header, to a request that joins a download that failed', async () => {
    const body = new PassThrough();
    const fd = fs.openSync(path.join(dir, 'failing'), 'w+');
    const download = new Download('b'.repeat(64), 100, fd, body, hashers.job(fd), { place: async () => undefined, discard: async () => undefined });
    download.retain();
    body.destroy(new Error('upstream reset'));
    expect(await download.settled).toBe('failed');
    const { req, res, headers } = exchange();
    await expect(serveDownload(req, res, DIGEST, download, () => undefined)).rejects.toMatchObject({ status: 502 });
    expect(headers.size).toBe(0);
    download.release();
  });
});
