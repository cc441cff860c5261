import fs from 'node:fs';
import path from 'node:path';
import TOML from '@iarna/toml';
import { cli, filesUnder, tempHome } from './cli-helpers';
import { backupsOf, copyFixture, read } from './configure-helpers';

describe('lifec-mirror configure containerd and docker', () => {
  let home: string;
  beforeEach(() => {
    home = tempHome();
    copyFixture(home, 'two-registries.runmd', 'mirror.runmd');
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  test('containerd: one hosts.toml per declared registry, the mirror first and the registry as server', async () => {
    const result = await cli(home, ['configure', 'containerd', '--hosts-dir', 'certs.d']);
    expect(result.code).toBe(0);
    expect(filesUnder(path.join(home, 'certs.d'))).toEqual(['127.0.0.1:5000/hosts.toml', 'docker.io/hosts.toml']);
    expect(TOML.parse(read(path.join(home, 'certs.d/docker.io/hosts.toml')))).toEqual({
      server: 'https://registry-1.docker.io',
      host: { 'http://127.0.0.1:8578': { capabilities: ['pull', 'resolve'] } },
    });
    expect(TOML.parse(read(path.join(home, 'certs.d/127.0.0.1:5000/hosts.toml')))).toMatchObject({ server: 'http://127.0.0.1:5000' });
    expect(result.stdout).toContain(`written ${path.join(home, 'certs.d/docker.io/hosts.toml')}\n`);
    expect(result.stdout).toContain('config_path');
  });

  test('containerd --default adds _default without a server; a hand-written hosts.toml is kept as a backup', async () => {
    const mine = path.join(home, 'certs.d/docker.io/hosts.toml');
    fs.mkdirSync(path.dirname(mine), { recursive: true });
    fs.writeFileSync(mine, 'server = "https://registry-1.docker.io"\n');
    const result = await cli(home, ['configure', 'containerd', '--hosts-dir', 'certs.d', '--default', '--mirror-url', 'http://mirror.lan:8578']);
    expect(result.code).toBe(0);
    expect(TOML.parse(read(path.join(home, 'certs.d/_default/hosts.toml')))).toEqual({ host: { 'http://mirror.lan:8578': { capabilities: ['pull', 'resolve'] } } });
    expect(backupsOf(mine).map(read)).toEqual(['server = "https://registry-1.docker.io"\n']);
  });

  test('containerd --dry-run prints every file with its path and writes nothing', async () => {
    const result = await cli(home, ['configure', 'containerd', '--hosts-dir', 'certs.d', '--default', '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/^# .*hosts\.toml$/gm)).toEqual(['docker.io', '127.0.0.1:5000', '_default'].map((r) => `# ${path.join(home, 'certs.d', r, 'hosts.toml')}`));
    expect(filesUnder(home)).toEqual(['mirror.runmd']);
  });

  test('docker: merges the mirror into daemon.json, keeps the rest and a backup, and says to restart dockerd', async () => {
    const file = copyFixture(home, 'daemon.json');
    fs.chmodSync(file, 0o600);
    const result = await cli(home, ['configure', 'docker', '--file', file, '--form', 'plain', '--mirror-url', 'http://localhost:8578']);
    expect(result.code).toBe(0);
    expect(read(file)).toBe(read(path.join(__dirname, '../../fixtures/clients/daemon.merged.json')));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(backupsOf(file).map(read)).toEqual([read(path.join(__dirname, '../../fixtures/clients/daemon.json'))]);
    expect(result.stdout).toMatch(/restart dockerd/);
    // The default registry here is not Docker Hub: the plain form serves Hub pulls from it, and the user is told.
    expect(result.stderr).toBe('note: http://localhost:8578 carries no registry name, so the mirror answers Docker Hub pulls from its default registry, 127.0.0.1:5000\n');
  });

  test('docker --dry-run prints exactly the JSON on stdout and changes nothing', async () => {
    const file = copyFixture(home, 'daemon.json');
    const result = await cli(home, ['configure', 'docker', '--file', file, '--form', 'path', '--dry-run']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)['registry-mirrors']).toEqual(['http://127.0.0.1:8578/docker.io', 'https://mirror.gcr.io', 'http://localhost:8578/docker.io/']);
    expect(result.stderr).toBe(`would write ${file}\n`);
    expect(read(file)).toBe(read(path.join(__dirname, '../../fixtures/clients/daemon.json')));
    expect(backupsOf(file)).toEqual([]);
  });

  test('docker --form auto asks dockerd --version: path form from Engine 25, plain before and without dockerd', async () => {
    const bin = path.join(home, 'bin');
    fs.mkdirSync(bin);
    const fake = (version: string) => fs.writeFileSync(path.join(bin, 'dockerd'), `#!/bin/sh\necho "Docker version ${version}, build 0000000"\n`, { mode: 0o755 });
    const mirrors = async (PATH: string) => {
      const result = await cli(home, ['configure', 'docker', '--file', 'daemon.json', '--dry-run'], { PATH });
      return JSON.parse(result.stdout)['registry-mirrors'] as string[];
    };
    fake('25.0.3');
    expect(await mirrors(bin)).toEqual(['http://127.0.0.1:8578/docker.io']);
    fake('20.10.24+dfsg1');
    expect(await mirrors(bin)).toEqual(['http://127.0.0.1:8578']);
    expect(await mirrors(path.join(home, 'nowhere'))).toEqual(['http://127.0.0.1:8578']);
    // Without docker.io declared, the path form would name a registry the mirror does not serve.
    fake('25.0.3');
    fs.writeFileSync(path.join(home, 'mirror.runmd'), read(path.join(home, 'mirror.runmd')).replace(': .mirror docker.io\n', ''));
    expect(await mirrors(bin)).toEqual(['http://127.0.0.1:8578']);
  });

  test('docker refuses a malformed daemon.json with one line and leaves it as it was', async () => {
    const file = copyFixture(home, 'daemon.malformed.json', 'daemon.json');
    const before = read(file);
    const result = await cli(home, ['configure', 'docker', '--file', file, '--form', 'plain']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^lifec-mirror: ${file.replace(/[.]/g, '\\.')} is not valid JSON \\(.+\\): fix it or move it aside \\(nothing was written\\)\\n$`));
    expect(read(file)).toBe(before);
    expect(filesUnder(home)).toEqual(['daemon.json', 'mirror.runmd']);
  });

  test('docker path form needs docker.io declared; every client needs a mirror address', async () => {
    fs.writeFileSync(path.join(home, 'mirror.runmd'), read(path.join(home, 'mirror.runmd')).replace(': .mirror docker.io\n', ''));
    const noHub = await cli(home, ['configure', 'docker', '--file', 'daemon.json', '--form', 'path']);
    expect(noHub).toMatchObject({ code: 1, stderr: expect.stringMatching(/does not declare docker.io.*\n$/) });
    fs.writeFileSync(path.join(home, 'mirror.runmd'), '```sh\n+ .runtime\n: .mirror docker.io\n```\n');
    const noProxy = await cli(home, ['configure', 'docker', '--file', 'daemon.json']);
    expect(noProxy).toMatchObject({ code: 1, stderr: expect.stringMatching(/has no "\.proxy": pass --mirror-url <url>.*\n$/) });
    expect(filesUnder(home)).toEqual(['mirror.runmd']);
  });
});
