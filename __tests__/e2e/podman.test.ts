import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'smol-toml';
import { isRoot, pushTestImages, startRegistry, type PushedTestImages, type Registry } from '../harness';
import { startMirrorProcess, type MirrorProcess } from '../helpers/mirror-process';
import { removeTempDir } from '../harness/tempdir';
import { privatePodman } from '../helpers/private-podman';

// podman (containers/image) with a registries.conf mirror location that has
// a path: `127.0.0.1:<mirror>/127.0.0.1_<port>` makes it ask the mirror for
// /v2/127.0.0.1_<port>/<repository>/… (request shape 2, `_` for `:`).
// podman falls back to the registry silently when the mirror fails, so every
// pull is checked in the mirror's log and in the registry's.
const BIN = path.join(__dirname, '../../bin/lifec-mirror.js');
const exec = promisify(execFile);

let home: string;
let alpha: Registry;
let beta: Registry;
let alphaImages: PushedTestImages;
let betaImages: PushedTestImages;
let mirror: MirrorProcess;
let dropIn: string;

const served = (): Array<Record<string, unknown>> =>
  mirror
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'request');

beforeAll(async () => {
  if (!isRoot()) throw new Error('this podman test runs rootful (vfs storage in a temp dir): run the e2e tests as root');
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-podman-e2e-'));
  [alpha, beta] = await Promise.all([startRegistry({ auth: 'none' }), startRegistry({ auth: 'none' })]);
  alphaImages = await pushTestImages(alpha, { largeMiB: 0, repoPrefix: 'alpha/' });
  betaImages = await pushTestImages(beta, { largeMiB: 0, repoPrefix: 'beta/' });
  mirror = await startMirrorProcess(
    home,
    ['```sh start', '+ .runtime', `: .mirror ${alpha.url}`, `: .mirror ${beta.url}`, '```', '', '```sh proxy', '+ .proxy 127.0.0.1:MIRROR_PORT',
      ': .manifests head, get', ':   .resolve', ': .blobs head, get', ':   .pull', '```', ''].join('\n'),
  );
  dropIn = path.join(home, 'registries.conf.d', '50-lifec-mirror.conf');
  const configure = await exec(process.execPath, [BIN, 'configure', 'podman', '--config', path.join(home, 'mirror.runmd'), '--file', dropIn], { cwd: home });
  expect(configure.stdout).toBe(`written ${dropIn}\n`);
}, 300_000);

afterAll(async () => {
  await mirror?.stop();
  await Promise.all([alpha?.stop(), beta?.stop()]);
  if (home) removeTempDir(home);
}, 120_000);

describe('podman through one mirror for two registries', () => {
  test('configure podman wrote one [[registry]] per registry, mirrored in the _ form', () => {
    const conf = parse(fs.readFileSync(dropIn, 'utf8')) as { registry: Array<Record<string, unknown>> };
    expect(conf.registry).toEqual(
      [alpha, beta].map((r) => ({
        prefix: r.host,
        location: r.host,
        insecure: true,
        mirror: [{ location: `127.0.0.1:${mirror.port}/127.0.0.1_${r.port}`, insecure: true }],
      })),
    );
  });

  test.each([
    ['alpha', () => alpha, () => `${alpha.host}/alpha/single:v1`, () => alphaImages.single.descriptor.digest, () => alphaImages.single.layers],
    ['beta', () => beta, () => `${beta.host}/beta/multi:v1`, () => betaImages.multi.descriptor.digest, () => betaImages.multi.amd64.layers],
  ])('pulls from %s through the mirror, digest verified, the mirror serving every request', async (name, registry, ref, digest, layers) => {
    // A storage of its own for each pull, so no layer is skipped as already present.
    const podman = privatePodman(path.join(home, `podman-${name}`), dropIn);
    const before = (await registry().accessEntries()).length;
    const pull = await podman.podman(['pull', '--arch', 'amd64', '--os', 'linux', ref()]);
    expect(pull).toMatchObject({ code: 0 });
    expect((await podman.podman(['image', 'inspect', '--format', '{{.Digest}}', ref()])).stdout.trim()).toBe(digest());

    const segment = `127.0.0.1_${registry().port}`;
    const repository = ref().slice(registry().host.length + 1).replace(/:v1$/, '');
    const lines = served().filter((l) => l.upstream === registry().host && l.shape === 'path' && l.status === 200);
    expect(lines.some((l) => l.path === `/v2/${segment}/${repository}/manifests/v1`)).toBe(true);
    for (const layer of layers()) expect(lines.some((l) => l.path === `/v2/${segment}/${repository}/blobs/${layer.digest}`)).toBe(true);
    // Everything the registry saw came from the mirror: podman never fell back to it.
    const entries = (await registry().accessEntries()).slice(before);
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.filter((e) => /containers|podman/i.test(e.userAgent))).toEqual([]);
  });
});
