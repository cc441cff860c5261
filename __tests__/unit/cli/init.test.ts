import fs from 'node:fs';
import path from 'node:path';
import { defaultCatalog } from '../../../lib/catalog';
import { compileRunmd } from '../../../lib/runmd/compile';
import { parseRunmd } from '../../../lib/runmd/parse';
import { cli, filesUnder, tempHome } from './cli-helpers';

describe('lifec-mirror init', () => {
  let home: string;
  beforeEach(() => {
    home = tempHome();
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));
  const compiled = () => compileRunmd(parseRunmd(fs.readFileSync(path.join(home, 'mirror.runmd'), 'utf8'), 'mirror.runmd'), defaultCatalog);

  test('writes an ACR mirror.runmd that compiles with the real catalog, and prints its path', async () => {
    const result = await cli(home, ['--registry', 'example', 'init']);
    expect(result).toEqual({ code: 0, stdout: `${path.join(home, 'mirror.runmd')}\n`, stderr: '' });
    const config = compiled();
    expect(config.engine).toMatchObject({ loop: true, sequence: [{ event: 'install', once: true }, { event: 'start', once: false }] });
    expect(config.events.find((e) => e.name === 'start')?.steps.map((s) => `${s.name} ${s.input}`)).toEqual([
      'login-acr example', 'install access_token', 'mirror example.azurecr.io',
    ]);
    expect(config.proxy?.routes.map((r) => [r.kind, r.methods, r.plugins.map((p) => p.name)])).toEqual([
      ['manifests', ['head', 'get'], ['login', 'authn', 'resolve', 'discover', 'teleport']],
      ['blobs', ['head', 'get'], ['login', 'authn', 'pull']],
    ]);
    // Readable: prose outside the fenced blocks explains them.
    expect(fs.readFileSync(path.join(home, 'mirror.runmd'), 'utf8')).toMatch(/falls back to the\s+registry itself/);
  });

  test('--upstream writes a plain-HTTP registry without an Azure login, at the chosen address', async () => {
    const result = await cli(home, ['init', '--upstream', 'http://127.0.0.1:5000', '--mirror-address', '127.0.0.1:9999']);
    expect(result.code).toBe(0);
    const config = compiled();
    expect(config.mirrors.map((m) => [m.host, m.origin])).toEqual([['127.0.0.1:5000', 'http://127.0.0.1:5000']]);
    expect(config.events.flatMap((e) => e.steps.map((s) => s.name))).toEqual(['println', 'mirror']);
    expect(config.proxy?.address).toBe('127.0.0.1:9999');
  });

  test('refuses to overwrite without --force, and replaces with it', async () => {
    fs.writeFileSync(path.join(home, 'mirror.runmd'), 'mine');
    const refused = await cli(home, ['--registry', 'example', 'init']);
    expect(refused).toEqual({ code: 1, stdout: '', stderr: `lifec-mirror: ${path.join(home, 'mirror.runmd')} already exists: pass --force to replace it\n` });
    expect(fs.readFileSync(path.join(home, 'mirror.runmd'), 'utf8')).toBe('mine');
    expect((await cli(home, ['--registry', 'example', 'init', '--force'])).code).toBe(0);
    expect(compiled().mirrors[0]?.host).toBe('example.azurecr.io');
  });

  test('explains what is missing without a registry, and writes nothing for a bad teleport format', async () => {
    const missing = await cli(home, ['init']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^lifec-mirror: init needs the registry: .*\n$/);
    const bad = await cli(home, ['--registry', 'example', 'init', '--teleport-format', 'zip']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(bad.stderr).toContain('zip');
    expect(filesUnder(home)).toEqual([]);
  });

  test('--containerd-config sets config_path, keeps the other settings and a backup', async () => {
    const config = path.join(home, 'config.toml');
    const before = 'version = 2\nroot = "/var/lib/containerd"\n';
    fs.writeFileSync(config, before, { mode: 0o600 });
    const result = await cli(home, ['init', '--upstream', 'http://127.0.0.1:5000', '--containerd-config', config]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`set config_path = "/etc/containerd/certs.d" in ${config}`);
    const after = fs.readFileSync(config, 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect(after).toContain('[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"');
    expect(fs.statSync(config).mode & 0o777).toBe(0o600);
    const backups = filesUnder(home).filter((f) => f.startsWith('config.toml.lifec-backup-'));
    expect(backups).toHaveLength(1);
    expect(fs.readFileSync(path.join(home, backups[0] ?? ''), 'utf8')).toBe(before);
  });
});
