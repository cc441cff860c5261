import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { replaceConfigFile } from '../../../lib/clients/config-file';

describe('replaceConfigFile', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-config-file-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const now = Date.UTC(2026, 0, 2, 3, 4, 5, 6);

  test('creates a missing file (and its directory) without a backup', async () => {
    const file = path.join(dir, 'etc/docker/daemon.json');
    expect(await replaceConfigFile(file, '{}\n', now)).toEqual({ file, outcome: 'written', backup: undefined });
    expect(fs.readFileSync(file, 'utf8')).toBe('{}\n');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['daemon.json']);
  });

  test('keeps the previous content as a backup with the same mode, and the file keeps its mode', async () => {
    const file = path.join(dir, 'registries.yaml');
    fs.writeFileSync(file, 'old\n', { mode: 0o600 });
    const result = await replaceConfigFile(file, 'new\n', now);
    expect(result.backup).toBe(`${file}.lifec-backup-2026-01-02T03-04-05-006Z`);
    expect(fs.readFileSync(result.backup!, 'utf8')).toBe('old\n');
    expect(fs.statSync(result.backup!).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toBe('new\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  test('leaves an identical file alone, and skips the backup when told', async () => {
    const file = path.join(dir, 'x.conf');
    fs.writeFileSync(file, 'same');
    expect(await replaceConfigFile(file, 'same', now)).toEqual({ file, outcome: 'unchanged' });
    expect((await replaceConfigFile(file, 'other', now, () => false)).backup).toBeUndefined();
    expect(fs.readdirSync(dir)).toEqual(['x.conf']);
  });

  test('a file that is a symlink is replaced where it points, so the link stays and keeps pointing there', async () => {
    // daemon.json or registries.yaml kept elsewhere (configuration management) and linked into /etc.
    const real = path.join(dir, 'managed/daemon.json');
    fs.mkdirSync(path.dirname(real));
    fs.writeFileSync(real, 'old\n', { mode: 0o600 });
    const link = path.join(dir, 'daemon.json');
    fs.symlinkSync(real, link);
    const result = await replaceConfigFile(link, 'new\n', now);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(real, 'utf8')).toBe('new\n');
    expect(fs.statSync(real).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(result.backup!, 'utf8')).toBe('old\n');
  });
});
