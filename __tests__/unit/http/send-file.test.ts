import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { completeFile, sendFileRange, type RangeSource } from '../../../lib/http/send-file';
import { MemoryBudget } from '../../../lib/resilience/memory-budget';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-send-file-'));
const file = path.join(dir, 'blob');
// 3.5 MiB of varied bytes: several reads, more than the buffers in flight.
const content = Buffer.from(Array.from({ length: 3.5 * 1024 * 1024 }, (_, i) => (i * 31 + (i >> 12)) & 0xff));
fs.writeFileSync(file, content);

interface Outcome {
  error?: Error;
  sent: number;
}

/** A server that answers every request with `range` of the file (or of `length` claimed bytes). */
async function serve(
  start: number,
  end: number,
  claimed = end - start + 1,
  source: (fd: number) => RangeSource = completeFile,
  memory?: MemoryBudget,
): Promise<{ url: string; outcome: Promise<Outcome>; close(): Promise<void> }> {
  let report: (o: Outcome) => void = () => undefined;
  const outcome = new Promise<Outcome>((resolve) => (report = resolve));
  const server = http.createServer((_req, res) => {
    const fd = fs.openSync(file, 'r');
    res.setHeader('Content-Length', claimed);
    let sent = 0;
    sendFileRange(source(fd), res, start, end, (bytes) => (sent = bytes), memory)
      .then(() => report({ sent }), (error: Error) => report({ error, sent }))
      .finally(() => fs.closeSync(fd));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, outcome, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function get(url: string, readSlowly = false): Promise<{ body: Buffer; error?: Error }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const req = http.get(url, { agent: false }, (res) => {
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        if (readSlowly) {
          res.pause();
          setTimeout(() => res.resume(), 2);
        }
      });
      res.on('end', () => resolve({ body: Buffer.concat(chunks) }));
      res.on('error', (error) => resolve({ body: Buffer.concat(chunks), error }));
    });
    req.on('error', (error) => resolve({ body: Buffer.concat(chunks), error }));
  });
}

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('sendFileRange', () => {
  it('sends the whole file, reusing its buffers across reads', async () => {
    const s = await serve(0, content.length - 1);
    const got = await get(s.url);
    expect(got.error).toBeUndefined();
    expect(got.body.equals(content)).toBe(true);
    expect(await s.outcome).toEqual({ sent: content.length });
    await s.close();
  });

  it('sends exactly the requested range, also to a slow reader', async () => {
    const start = 1_000_001;
    const end = 2_500_000;
    const s = await serve(start, end);
    const got = await get(s.url, true);
    expect(got.body.equals(content.subarray(start, end + 1))).toBe(true);
    expect((await s.outcome).error).toBeUndefined();
    await s.close();
  });

  it('cuts the response when the file is shorter than the range, never ending it as complete', async () => {
    const s = await serve(0, content.length + 4096);
    const got = await get(s.url);
    expect(got.error).toBeDefined();
    const outcome = await s.outcome;
    expect(outcome.error?.message).toMatch(/file ended/);
    expect(outcome.sent).toBeLessThanOrEqual(content.length);
    await s.close();
  });

  it('rejects when the client goes away before the end', async () => {
    const s = await serve(0, content.length - 1);
    await new Promise<void>((resolve) => {
      const req = http.get(s.url, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
    });
    const outcome = await s.outcome;
    expect(outcome.error).toBeDefined();
    expect(outcome.sent).toBeLessThan(content.length);
    await s.close();
  });

  it('sends the bytes its source holds in memory without reading them, in order with the rest', async () => {
    // The middle MiB is "in memory", served in pieces of 100 000 bytes; the rest comes from the file.
    const held = { from: 1024 * 1024, to: 2 * 1024 * 1024 };
    let fromMemory = 0;
    const source = (fd: number): RangeSource => ({
      ...completeFile(fd),
      bytesAt: (position, end) => {
        if (position < held.from || position >= held.to) return undefined;
        const piece = content.subarray(position, Math.min(end, held.to, position + 100_000));
        fromMemory += piece.length;
        return piece;
      },
    });
    const s = await serve(0, content.length - 1, undefined, source);
    const got = await get(s.url, true);
    expect(got.body.equals(content)).toBe(true);
    expect(fromMemory).toBe(held.to - held.from);
    expect(await s.outcome).toEqual({ sent: content.length });
    await s.close();
  });

  it('sends small chunks held in memory a megabyte per write, not one write each', async () => {
    const piece = 10_000;
    const source: RangeSource = {
      ...completeFile(-1),
      bytesAt: (position, end) => content.subarray(position, Math.min(end, position + piece - (position % piece))),
    };
    const writes: number[] = [];
    const received: Buffer[] = [];
    const sink = new Writable({
      writev(chunks, callback) {
        writes.push(chunks.length);
        for (const { chunk } of chunks) received.push(Buffer.from(chunk as Buffer));
        callback();
      },
    });
    let sent = 0;
    await sendFileRange(source, sink, 0, content.length - 1, (bytes) => (sent = bytes));
    expect(Buffer.concat(received).equals(content)).toBe(true);
    expect(sent).toBe(content.length);
    // 3.5 MiB in 10 000-byte pieces: 367 pieces, gathered into 1 MiB writes.
    expect(writes.length).toBeLessThanOrEqual(8);
  });
});

describe('sendFileRange with a memory budget', () => {
  it('takes its read buffers from the budget and gives them back', async () => {
    let highest = 0;
    const memory = new MemoryBudget(64 * 1024 * 1024, (used) => (highest = Math.max(highest, used)));
    const server = await serve(0, content.length - 1, content.length, completeFile, memory);
    const { body } = await get(server.url, true);
    expect(body.equals(content)).toBe(true);
    expect((await server.outcome).sent).toBe(content.length);
    await server.close();
    // 1 MiB reads, at most three in flight.
    expect(highest).toBeGreaterThanOrEqual(1024 * 1024);
    expect(highest).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(memory.inUse).toBe(0);
  });

  it('still sends everything through one small buffer when the budget is spent', async () => {
    const memory = new MemoryBudget(1024);
    const server = await serve(0, content.length - 1, content.length, completeFile, memory);
    const { body } = await get(server.url);
    expect(body.equals(content)).toBe(true);
    expect(memory.inUse).toBe(0);
    await server.close();
  });
});
