import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from './cli-helpers';

const hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

let home: string;
const files = [Buffer.alloc(3000, 1), Buffer.alloc(2000, 2), Buffer.alloc(1000, 3)];

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-cli-cache-'));
  const blobs = path.join(home, 'store', 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  files.forEach((bytes, i) => {
    const file = path.join(blobs, hex(bytes));
    fs.writeFileSync(file, bytes);
    // Oldest first: files[0] is the least recently used.
    fs.utimesSync(file, new Date(1_000_000 + i * 1000), new Date(1_000_000 + i * 1000));
  });
  fs.writeFileSync(
    path.join(home, 'mirror.runmd'),
    '``` start mirror\n+ .runtime\n: .mirror http://127.0.0.1:5000\n\n+ .proxy localhost:8578\n: .cache store 5000\n: .blobs get\n:   .pull\n```\n',
  );
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe('lifec-mirror cache', () => {
  it('lists cached digests least recently used first, from the config\'s .cache directory', async () => {
    const { code, stdout } = await cli(home, ['cache', 'ls']);
    expect(code).toBe(0);
    expect(stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0])).toEqual(files.map((f) => `sha256:${hex(f)}`));
  });

  it('shows the space used and the cap', async () => {
    const { stdout } = await cli(home, ['cache', 'du']);
    expect(stdout).toMatch(/^5\.9 KiB in 3 files \(cap 4\.9 KiB\): .*store/);
  });

  it('prunes least recently used files down to the configured cap or --max-size', async () => {
    expect((await cli(home, ['cache', 'prune'])).stdout).toMatch(/^removed 1 files \(2\.9 KiB\)/);
    expect((await cli(home, ['cache', 'prune', '--max-size', '1000', '--dir', 'store'])).stdout).toMatch(/^removed 1 files/);
    expect(fs.readdirSync(path.join(home, 'store', 'blobs', 'sha256'))).toEqual([hex(files[2]!)]);
  });

  it('rejects a size it cannot read', async () => {
    const { code, stderr } = await cli(home, ['cache', 'prune', '--max-size', 'lots']);
    expect(code).toBe(1);
    expect(stderr).toBe('lifec-mirror: "lots" is not a size (e.g. 5GiB)\n');
  });
});
