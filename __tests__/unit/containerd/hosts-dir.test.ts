import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HOSTS_TOML_MARKER } from '../../../lib/containerd/hosts-toml';
import { hostsDirectoryName, installHostsToml } from '../../../lib/containerd/hosts-dir';

const OURS = `${HOSTS_TOML_MARKER} for r.example.\nserver = "https://r.example"\n\n[host."http://localhost:8578"]\ncapabilities = [ "pull" ]\n`;
const NOON = Date.UTC(2024, 0, 2, 12, 0, 0);

describe('hosts directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-hostsdir-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('names directories the way containerd looks them up', () => {
    expect(hostsDirectoryName('127.0.0.1:5000')).toBe('127.0.0.1:5000');
    expect(hostsDirectoryName('Example.AzureCR.io')).toBe('example.azurecr.io');
    expect(hostsDirectoryName('_default')).toBe('_default');
    expect(() => hostsDirectoryName('../etc')).toThrow('cannot name a hosts directory');
  });

  test('writes a new file, then reports the same content as unchanged', async () => {
    const first = await installHostsToml(dir, '127.0.0.1:5000', OURS, NOON);
    expect(first).toEqual({ file: path.join(dir, '127.0.0.1:5000', 'hosts.toml'), outcome: 'written', backup: undefined });
    expect(fs.readFileSync(first.file, 'utf8')).toBe(OURS);
    expect((await installHostsToml(dir, '127.0.0.1:5000', OURS, NOON)).outcome).toBe('unchanged');
  });

  test('backs up a hand-written file before replacing it, and leaves no temp file', async () => {
    const file = path.join(dir, 'r.example', 'hosts.toml');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, 'server = "https://r.example"\n# mine\n');
    const result = await installHostsToml(dir, 'r.example', OURS, NOON);
    expect(result.backup).toBe(`${file}.lifec-backup-2024-01-02T12-00-00-000Z`);
    expect(fs.readFileSync(result.backup ?? '', 'utf8')).toContain('# mine');
    expect(fs.readFileSync(file, 'utf8')).toBe(OURS);
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['hosts.toml', 'hosts.toml.lifec-backup-2024-01-02T12-00-00-000Z']);
  });

  test('the backup keeps the mode of a hand-written file that may hold an authorization header', async () => {
    const file = path.join(dir, 'private.example', 'hosts.toml');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, '[host."https://private.example"]\n  [host."https://private.example".header]\n    authorization = "Basic c2VjcmV0"\n', { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    const result = await installHostsToml(dir, 'private.example', OURS, NOON);
    expect(fs.statSync(result.backup ?? '').mode & 0o777).toBe(0o600);
  });

  test('replaces its own earlier file without a backup', async () => {
    await installHostsToml(dir, 'r.example', OURS, NOON);
    const result = await installHostsToml(dir, 'r.example', OURS.replace('"pull"', '"pull", "resolve"'), NOON);
    expect(result.backup).toBeUndefined();
    expect(fs.readdirSync(path.join(dir, 'r.example'))).toEqual(['hosts.toml']);
  });

  test('fails with the cause when the hosts directory cannot be created, writing nothing', async () => {
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, '');
    await expect(installHostsToml(blocker, 'r.example', OURS, NOON)).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(fs.readdirSync(dir)).toEqual(['not-a-dir']);
  });
});
