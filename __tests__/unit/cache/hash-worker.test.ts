import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFully } from '../../../lib/cache/hash-worker';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-hash-worker-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A writev(2) that writes at most `take` bytes on its first call, as a full disk may. */
function shortOnce(take: number): (fd: number, buffers: Uint8Array[], position: number) => number {
  let first = true;
  return (fd, buffers, position) => {
    if (!first) return fs.writevSync(fd, buffers, position);
    first = false;
    return take === 0 ? 0 : fs.writevSync(fd, [buffers[0]!.subarray(0, take)], position);
  };
}

describe('writeFully', () => {
  it('writes the rest after a short write, so the file holds every byte at its offset', () => {
    const file = path.join(dir, 'short');
    const fd = fs.openSync(file, 'w+');
    const chunks = [Buffer.alloc(3000, 1), Buffer.alloc(2000, 2), Buffer.alloc(1000, 3)];
    writeFully(fd, chunks, 10, shortOnce(1000));
    writeFully(fd, [Buffer.from('x')], 0);
    fs.closeSync(fd);
    const content = fs.readFileSync(file);
    expect(content.length).toBe(6010);
    expect(content.subarray(10).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('throws when a write makes no progress', () => {
    const fd = fs.openSync(path.join(dir, 'stuck'), 'w+');
    try {
      expect(() => writeFully(fd, [Buffer.alloc(100)], 0, shortOnce(0))).toThrow(/short write: 0 of 100 bytes/);
    } finally {
      fs.closeSync(fd);
    }
  });
});
