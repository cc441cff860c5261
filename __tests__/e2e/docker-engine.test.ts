import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isRoot, pushTestImages, startRegistry, type PushedTestImages, type Registry } from '../harness';
import { accessLines, startMirrorProcess, type MirrorProcess } from '../helpers/mirror-process';
import { startPrivateDockerd, type PrivateDockerd } from '../helpers/private-dockerd';

// Docker Engine's classic registry-mirrors: Docker sends Docker Hub pulls to
// the mirror as plain /v2/library/<name>/… with no registry hint, and the
// mirror answers them from its default registry (request shape 4).
const BIN = path.join(__dirname, '../../bin/lifec-mirror.js');
const exec = promisify(execFile);

let home: string;
let registry: Registry;
let images: PushedTestImages;
let mirror: MirrorProcess;
let dockerd: PrivateDockerd;
let mirrors: string[];

beforeAll(async () => {
  if (!isRoot()) throw new Error('dockerd needs root: run the e2e tests as root');
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-docker-e2e-'));
  registry = await startRegistry({ auth: 'none' });
  // Docker names Hub's official images library/<name>: push them there.
  images = await pushTestImages(registry, { largeMiB: 0, repoPrefix: 'library/' });
  mirror = await startMirrorProcess(
    home,
    ['```sh start', '+ .runtime', `: .mirror ${registry.url}`, '```', '', '```sh proxy', '+ .proxy 127.0.0.1:MIRROR_PORT',
      ': .manifests head, get', ':   .resolve', ': .blobs head, get', ':   .pull', '```', ''].join('\n'),
  );
  // The daemon.json a user would get, printed by --dry-run; dockerd's version decides the form.
  const base = path.join(home, 'daemon.json');
  fs.writeFileSync(base, '{ "debug": false }\n');
  const dryRun = await exec(process.execPath, [BIN, 'configure', 'docker', '--config', path.join(home, 'mirror.runmd'), '--file', base, '--dry-run'], {
    cwd: home,
    env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
  });
  const config = JSON.parse(dryRun.stdout) as Record<string, unknown>;
  mirrors = config['registry-mirrors'] as string[];
  dockerd = await startPrivateDockerd(path.join(home, 'docker'), config);
}, 300_000);

afterAll(async () => {
  await dockerd?.stop();
  await mirror?.stop();
  await registry?.stop();
  if (home) fs.rmSync(home, { recursive: true, force: true });
}, 120_000);

describe('Docker Engine through the mirror (registry-mirrors, classic image store)', () => {
  test('configure docker wrote the plain form for Debian\'s engine (before 25), keeping the other keys', async () => {
    expect((await dockerd.docker(['version', '--format', '{{.Server.Version}}'])).stdout).toMatch(/^2[0-4]\./);
    expect(mirrors).toEqual([mirror.url]);
    expect(JSON.parse(fs.readFileSync(path.join(home, 'daemon.json'), 'utf8'))).toEqual({ debug: false });
    expect((await dockerd.docker(['info', '--format', '{{json .RegistryConfig.Mirrors}}'])).stdout.trim()).toBe(JSON.stringify([`${mirror.url}/`]));
  });

  test('docker pull of a Docker Hub name is served by the mirror from its default registry', async () => {
    const before = (await registry.accessEntries()).length;
    const pull = await dockerd.docker(['pull', 'single:v1']);
    expect(pull).toMatchObject({ code: 0 });
    const inspect = await dockerd.docker(['image', 'inspect', 'single:v1', '--format', '{{.Id}} {{json .RepoDigests}}']);
    expect(inspect.stdout.trim()).toBe(`${images.single.config.digest} ${JSON.stringify([`single@${images.single.descriptor.digest}`])}`);

    const lines = accessLines(mirror).filter((l) => l.upstream === registry.host && l.status === 200);
    expect(lines.some((l) => l.shape === 'default' && l.path === '/v2/library/single/manifests/v1')).toBe(true);
    for (const layer of images.single.layers) expect(lines.some((l) => l.path === `/v2/library/single/blobs/${layer.digest}`)).toBe(true);
    // The registry heard from the mirror only.
    const entries = (await registry.accessEntries()).slice(before);
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.filter((e) => e.userAgent.startsWith('docker/'))).toEqual([]);
  });

  test('with the mirror stopped, a pull fails (Docker Hub is out of reach) instead of hanging', async () => {
    await mirror.stop();
    const pull = await dockerd.docker(['pull', 'multi:v1'], 180_000);
    expect(pull.code).toBe(1);
    // Docker tried the mirror (refused), then Docker Hub itself: offline, that fails at once
    // ("lookup registry-1.docker.io … no such host"); online, Hub has no library/multi.
    expect(pull.stderr).toMatch(/^Error response from daemon: /);
    expect((await dockerd.docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.trim().split('\n')).toEqual(['single:v1']);
  });
});
