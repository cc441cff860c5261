import fs from 'node:fs';
import path from 'node:path';
import TOML from '@iarna/toml';
import { cli, filesUnder, tempHome } from './cli-helpers';
import { backupsOf, copyFixture, read } from './configure-helpers';

const fixturePath = (name: string): string => path.join(__dirname, '../../fixtures/clients', name);

describe('lifec-mirror configure podman and k3s', () => {
  let home: string;
  let runmd: string;
  beforeEach(() => {
    home = tempHome();
    runmd = copyFixture(home, 'two-registries.runmd', 'mirror.runmd');
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  test('podman: writes the drop-in with the path form of each registry', async () => {
    const file = path.join(home, 'registries.conf.d/50-lifec-mirror.conf');
    const result = await cli(home, ['configure', 'podman', '--file', file]);
    expect(result).toEqual({ code: 0, stdout: `written ${file}\n`, stderr: '' });
    expect(read(file)).toBe(read(fixturePath('50-lifec-mirror.conf')).replace('from mirror.runmd', `from ${runmd}`));
    // Run again: the file is the tool's own, so nothing changes and no backup is made.
    expect((await cli(home, ['configure', 'podman', '--file', file])).stdout).toBe(`unchanged ${file}\n`);
    expect(backupsOf(file)).toEqual([]);
  });

  test('podman: a hand-written drop-in is kept as a backup; one that is not TOML is refused', async () => {
    const file = path.join(home, '50-lifec-mirror.conf');
    fs.writeFileSync(file, '[[registry]]\nlocation = "docker.io"\n');
    expect((await cli(home, ['configure', 'podman', '--file', file])).code).toBe(0);
    expect(backupsOf(file).map(read)).toEqual(['[[registry]]\nlocation = "docker.io"\n']);

    fs.writeFileSync(file, '[[registry]\n');
    for (const args of [[], ['--dry-run']]) {
      const refused = await cli(home, ['configure', 'podman', '--file', file, ...args]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/^lifec-mirror: .*50-lifec-mirror\.conf is not valid TOML \(.+\): fix it or move it aside \(nothing was written\)\n$/);
    }
    expect(read(file)).toBe('[[registry]\n');
  });

  test('podman: what registries.conf and earlier drop-ins say for the same registry is carried over, their mirrors after the mirror', async () => {
    // containers/image replaces an earlier [[registry]] with the drop-in's of the same prefix: without this, the corporate mirror would be lost.
    fs.writeFileSync(
      path.join(home, 'registries.conf'),
      'unqualified-search-registries = ["docker.io"]\n\n[[registry]]\nlocation = "docker.io"\n\n[[registry.mirror]]\nlocation = "registry.corp.example/hub"\n',
    );
    const dir = path.join(home, 'registries.conf.d');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '10-local.conf'), '[[registry]]\nprefix = "127.0.0.1:5000"\nlocation = "127.0.0.1:5000"\nblocked = true\n');
    fs.writeFileSync(path.join(dir, '90-later.conf'), '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\nblocked = true\n');
    const file = path.join(dir, '50-lifec-mirror.conf');
    expect((await cli(home, ['configure', 'podman', '--file', file])).code).toBe(0);
    expect(TOML.parse(read(file)).registry).toEqual([
      { prefix: 'docker.io', location: 'docker.io', mirror: [{ location: '127.0.0.1:8578/docker.io', insecure: true }, { location: 'registry.corp.example/hub' }] },
      { prefix: '127.0.0.1:5000', location: '127.0.0.1:5000', insecure: true, blocked: true, mirror: [{ location: '127.0.0.1:8578/127.0.0.1_5000', insecure: true }] },
    ]);

    fs.writeFileSync(path.join(home, 'registries.conf'), '[[registry]\n');
    const refused = await cli(home, ['configure', 'podman', '--file', file]);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/^lifec-mirror: .*registries\.conf is not valid TOML \(.+\): fix it or move it aside \(nothing was written\)\n$/);
  });

  test('podman --dry-run prints the drop-in under its path and writes nothing', async () => {
    const result = await cli(home, ['configure', 'podman', '--file', 'x.conf', '--dry-run', '--mirror-url', 'https://mirror.example:8443']);
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith(`# ${path.join(home, 'x.conf')}\n# Written by lifec-mirror`)).toBe(true);
    expect(result.stdout).toContain('location = "mirror.example:8443/127.0.0.1_5000"');
    expect(result.stdout).not.toMatch(/\[\[registry\.mirror\]\]\nlocation = "[^"]+"\ninsecure/);
    expect(filesUnder(home)).toEqual(['mirror.runmd']);
  });

  test('podman and docker without a mirror.runmd use the built-in default: the public registries on localhost:8578', async () => {
    fs.rmSync(runmd);
    const podman = await cli(home, ['configure', 'podman', '--file', 'x.conf', '--dry-run']);
    expect(podman.code).toBe(0);
    expect(podman.stdout).toContain('from (built-in default)');
    expect(podman.stdout.match(/^location = "localhost:8578\/.*"$/gm)).toEqual(
      ['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io', 'mcr.microsoft.com', 'public.ecr.aws', 'gcr.io'].map((r) => `location = "localhost:8578/${r}"`),
    );
    // docker.io is the built-in default's .default, so the plain form needs no note.
    const docker = await cli(home, ['configure', 'docker', '--file', 'daemon.json', '--form', 'plain', '--dry-run']);
    expect(docker).toMatchObject({ code: 0, stderr: `would write ${path.join(home, 'daemon.json')}\n` });
    expect(JSON.parse(docker.stdout)).toEqual({ 'registry-mirrors': ['http://localhost:8578'] });
  });

  test('a .proxy with .tls is written as an https mirror: no insecure for podman, https hosts for containerd', async () => {
    fs.writeFileSync(runmd, read(runmd).replace('+ .proxy 127.0.0.1:8578\n', '+ .proxy 127.0.0.1:8578\n: .tls mirror.crt mirror.key\n'));
    const podman = await cli(home, ['configure', 'podman', '--file', 'x.conf', '--dry-run']);
    expect(podman.stdout).toContain('[[registry.mirror]]\nlocation = "127.0.0.1:8578/docker.io"\n\n');
    const containerd = await cli(home, ['configure', 'containerd', '--hosts-dir', 'certs.d', '--dry-run']);
    expect(containerd.stdout).toContain('[host."https://127.0.0.1:8578"]');
  });

  test('k3s: merges mirrors entries into registries.yaml, keeps the rest and a backup', async () => {
    const file = copyFixture(home, 'registries.yaml');
    const result = await cli(home, ['configure', 'k3s', '--file', file, '--mirror-url', 'http://localhost:8578']);
    expect(result.code).toBe(0);
    expect(read(file)).toBe(read(fixturePath('registries.merged.yaml')));
    expect(backupsOf(file).map(read)).toEqual([read(fixturePath('registries.yaml'))]);
    expect(result.stdout).toMatch(/restart k3s/);
  });

  test('k3s --default --dry-run prints the new file with a "*" entry and writes nothing', async () => {
    const result = await cli(home, ['configure', 'k3s', '--file', 'k3s/registries.yaml', '--default', '--dry-run']);
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        `# ${path.join(home, 'k3s/registries.yaml')}`,
        'mirrors:',
        ...['docker.io', '"127.0.0.1:5000"', '"*"'].flatMap((r) => [`  ${r}:`, '    endpoint:', '      - "http://127.0.0.1:8578"']),
        '',
      ].join('\n'),
    });
    expect(filesUnder(home)).toEqual(['mirror.runmd']);
  });

  test('a target that cannot be written is one line naming it', async () => {
    const file = path.join(runmd, 'registries.yaml');
    const result = await cli(home, ['configure', 'k3s', '--file', file]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `lifec-mirror: cannot write ${file}: ENOTDIR\n` });
  });

  test('k3s refuses YAML it cannot merge with one line and leaves it as it was', async () => {
    const file = copyFixture(home, 'registries.anchor.yaml', 'registries.yaml');
    const result = await cli(home, ['configure', 'k3s', '--file', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^lifec-mirror: .*registries\.yaml is not YAML this tool can merge \(line 2: .+\): fix it or move it aside \(nothing was written\)\n$/);
    expect(read(file)).toBe(read(fixturePath('registries.anchor.yaml')));
    expect(backupsOf(file)).toEqual([]);
  });
});
