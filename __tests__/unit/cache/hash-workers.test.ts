import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HashWorkers } from '../../../lib/cache/hash-workers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-hash-workers-'));
const pools: HashWorkers[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function newPool(maxWorkers?: number, script?: string): HashWorkers {
  const pool = new HashWorkers(maxWorkers, script);
  pools.push(pool);
  return pool;
}

/** Bytes that differ everywhere, so a chunk written at the wrong offset shows. */
const pattern = (length: number, seed: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => (i * 7 + seed + (i >> 10)) & 0xff));

describe('HashWorkers', () => {
  it('hashes and writes each batch at its position, including batches larger than the staging buffer', async () => {
    const pool = newPool();
    const file = path.join(dir, 'blob');
    const fd = fs.openSync(file, 'w+');
    const job = pool.job(fd);
    const first = [pattern(1000, 1), pattern(300_000, 2)];
    // 9 MiB in one call: more than one staging buffer-full.
    const second = [pattern(9 * 1024 * 1024, 3), pattern(5, 4)];
    await job.write(first, 0);
    await job.write(second, 301_000);
    const digest = await job.digest();
    fs.closeSync(fd);
    const expected = Buffer.concat([...first, ...second]);
    expect(digest).toBe(createHash('sha256').update(expected).digest('hex'));
    expect(fs.readFileSync(file).equals(expected)).toBe(true);
    // The caller's chunks are left as they were.
    expect(first[1]!.equals(pattern(300_000, 2))).toBe(true);
  });

  it('keeps the hashes of concurrent jobs apart, on one thread or several', async () => {
    for (const pool of [newPool(1), newPool(2)]) {
      const blobs = [pattern(200_000, 5), pattern(150_000, 6), pattern(100_000, 7)];
      const fds = blobs.map((_, i) => fs.openSync(path.join(dir, `concurrent-${Math.random()}-${i}`), 'w+'));
      const jobs = fds.map((fd) => pool.job(fd));
      await Promise.all(jobs.map(async (job, i) => {
        const blob = blobs[i]!;
        await job.write([blob.subarray(0, 50_000)], 0);
        await job.write([blob.subarray(50_000)], 50_000);
      }));
      const digests = await Promise.all(jobs.map((job) => job.digest()));
      fds.forEach((fd) => fs.closeSync(fd));
      expect(digests).toEqual(blobs.map((b) => createHash('sha256').update(b).digest('hex')));
    }
  });

  it('fails a write the file system refuses, with its error code', async () => {
    const pool = newPool();
    const file = path.join(dir, 'read-only');
    fs.writeFileSync(file, '');
    const fd = fs.openSync(file, 'r');
    const job = pool.job(fd);
    await expect(job.write([pattern(100, 8)], 0)).rejects.toMatchObject({ code: 'EBADF' });
    job.drop();
    fs.closeSync(fd);
  });

  it('fails the requests of a stopped pool, and starts no job after', async () => {
    const pool = newPool(1);
    const fd = fs.openSync(path.join(dir, 'stopped'), 'w+');
    const job = pool.job(fd);
    // 32 MiB: four staging buffer-fulls, so most of it is asked after the stop.
    const pending = job.write([Buffer.alloc(32 * 1024 * 1024, 9)], 0);
    await pool.close();
    await expect(pending).rejects.toThrow(/hashing thread stopped/);
    expect(() => pool.job(fd)).toThrow(/stopped/);
    fs.closeSync(fd);
  });

  it('replaces a thread that died for the next job', async () => {
    // A thread that exits on its first request while the marker file exists, and works normally after.
    const marker = path.join(dir, 'crash-once');
    const script = path.join(dir, 'crashing-worker.js');
    fs.writeFileSync(marker, '');
    fs.writeFileSync(script, [
      "const fs = require('node:fs');",
      "const { parentPort } = require('node:worker_threads');",
      `if (fs.existsSync(${JSON.stringify(marker)})) {`,
      `  fs.unlinkSync(${JSON.stringify(marker)});`,
      "  parentPort.once('message', () => process.exit(3));",
      `} else require(${JSON.stringify(path.join(__dirname, '../../../lib/cache/hash-worker.js'))});`,
    ].join('\n'));
    const pool = newPool(1, script);
    const fd = fs.openSync(path.join(dir, 'after-crash'), 'w+');
    await expect(pool.job(fd).write([Buffer.from('lost')], 0)).rejects.toThrow(/hashing thread stopped \(exit code 3\)/);
    const next = pool.job(fd);
    await next.write([Buffer.from('ok')], 0);
    expect(await next.digest()).toBe(createHash('sha256').update('ok').digest('hex'));
    fs.closeSync(fd);
  });

  it('fails the jobs of a thread that cannot start, and says so before any job', async () => {
    const pool = newPool(1, path.join(dir, 'missing-worker.js'));
    await expect(pool.check()).rejects.toThrow(/hashing thread's code is missing: .*missing-worker\.js/);
    const fd = fs.openSync(path.join(dir, 'never'), 'w+');
    await expect(pool.job(fd).write([Buffer.from('x')], 0)).rejects.toThrow(/hashing thread failed|hashing thread stopped/);
    fs.closeSync(fd);
  });

  it('gives a dropped job\'s staging buffer to no other job while its write is still in flight', async () => {
    const pool = newPool(1);
    const a = fs.openSync(path.join(dir, 'dropped'), 'w+');
    const first = pool.job(a);
    // 40 MiB: five staging buffer-fulls, the first handed over at once.
    const pending = first.write([Buffer.alloc(40 * 1024 * 1024, 0xaa)], 0);
    first.drop();
    const file = path.join(dir, 'after-drop');
    const b = fs.openSync(file, 'w+');
    const second = pool.job(b);
    const blob = pattern(6 * 1024 * 1024, 11);
    await second.write([blob], 0);
    const digest = await second.digest();
    await expect(pending).rejects.toThrow(/dropped/);
    fs.closeSync(a);
    fs.closeSync(b);
    expect(digest).toBe(createHash('sha256').update(blob).digest('hex'));
    expect(fs.readFileSync(file).equals(blob)).toBe(true);
  });

  it('lets the process exit once its jobs are done, without closing the pool', () => {
    const script = [
      `const { HashWorkers } = require(${JSON.stringify(path.join(__dirname, '../../../dist/cache/hash-workers.js'))});`,
      `const fd = require('node:fs').openSync(${JSON.stringify(path.join(dir, 'exit'))}, 'w+');`,
      'const job = new HashWorkers().job(fd);',
      "job.write([Buffer.from('bye')], 0).then(() => job.digest()).then((d) => console.log(d));",
    ].join('\n');
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(createHash('sha256').update('bye').digest('hex'));
  });
});
