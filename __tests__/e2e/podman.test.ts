import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'smol-toml';
import { isRoot, pushTestImages, startRegistry, type PushedTestImages, type Registry } from '../harness';
import { accessLines, startMirrorProcess, type MirrorProcess } from '../helpers/mirror-process';
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

  test('pulls from both registries at the same time, digests verified, the mirror serving every request', async () => {
    const pulls = [
      { name: 'alpha', registry: alpha, repository: 'alpha/single', digest: alphaImages.single.descriptor.digest, layers: alphaImages.single.layers },
      { name: 'beta', registry: beta, repository: 'beta/multi', digest: betaImages.multi.descriptor.digest, layers: betaImages.multi.amd64.layers },
    ];
    const before = await Promise.all(pulls.map(async (p) => (await p.registry.accessEntries()).length));
    // A storage of its own for each pull, so no layer is skipped as already present.
    const podmans = pulls.map((p) => privatePodman(path.join(home, `podman-${p.name}`), dropIn));
    const results = await Promise.all(pulls.map((p, i) => podmans[i]!.podman(['pull', '--arch', 'amd64', '--os', 'linux', `${p.registry.host}/${p.repository}:v1`])));
    for (const [i, p] of pulls.entries()) {
      expect(results[i]).toMatchObject({ code: 0 });
      const inspect = await podmans[i]!.podman(['image', 'inspect', '--format', '{{.Digest}}', `${p.registry.host}/${p.repository}:v1`]);
      expect(inspect.stdout.trim()).toBe(p.digest);

      const segment = `127.0.0.1_${p.registry.port}`;
      const lines = accessLines(mirror).filter((l) => l.upstream === p.registry.host && l.shape === 'path' && l.status === 200);
      expect(lines.some((l) => l.path === `/v2/${segment}/${p.repository}/manifests/v1`)).toBe(true);
      for (const layer of p.layers) expect(lines.some((l) => l.path === `/v2/${segment}/${p.repository}/blobs/${layer.digest}`)).toBe(true);
      // Everything the registry saw came from the mirror: podman never fell back to it.
      const entries = (await p.registry.accessEntries()).slice(before[i]);
      expect(entries.length).toBeGreaterThan(0);
      expect(entries.filter((e) => /containers|podman/i.test(e.userAgent))).toEqual([]);
    }
  });
});
