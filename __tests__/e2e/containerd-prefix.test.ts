import fs from 'node:fs';
import path from 'node:path';
import { pushTestImages, startContainerd, startRegistry, type Containerd, type PushedTestImages, type Registry } from '../harness';
import { makeTempDir, removeTempDir } from '../harness/tempdir';
import { startMirrorProcess, type MirrorProcess } from '../helpers/mirror-process';
import { makeTestCa, type TestCa } from '../helpers/test-ca';

/**
 * containerd with a `[host]` URL that carries a path (request shape 3):
 * containerd appends `/v2` to it and still sends `ns`, so the mirror sees
 * `/<registry>/v2/<repository>/…?ns=<registry>`. Two registries are
 * declared, the default one first, so only the prefix can pick the one pulled from.
 */
const runmd = (registries: Registry[], tls: string): string => `
\`\`\` start mirror
+ .runtime
${registries.map((r) => `: .mirror ${r.url}`).join('\n')}

+ .proxy 127.0.0.1:MIRROR_PORT
${tls}
: .manifests head, get
:   .resolve
: .blobs head, get
:   .pull
\`\`\`
`;

/** hosts.toml for `registry` pointing containerd at `mirrorUrl` (with its path), optionally trusting `ca`. */
function writeHosts(hostsDir: string, registry: Registry, mirrorUrl: string, ca?: string): void {
  const lines = [`server = "${registry.url}"`, '', `[host."${mirrorUrl}"]`, '  capabilities = ["pull", "resolve"]', ...(ca ? [`  ca = "${ca}"`] : []), ''];
  fs.mkdirSync(path.join(hostsDir, registry.host), { recursive: true });
  fs.writeFileSync(path.join(hostsDir, registry.host, 'hosts.toml'), lines.join('\n'));
}

let other: Registry;
let registry: Registry;
let images: PushedTestImages;
let containerd: Containerd;
let dir: string;
let ca: TestCa;
const mirrors: MirrorProcess[] = [];

beforeAll(async () => {
  dir = makeTempDir('ctr-prefix');
  other = await startRegistry({ auth: 'none' });
  registry = await startRegistry({ auth: 'none' });
  images = await pushTestImages(registry, { largeMiB: 0 });
  containerd = await startContainerd();
  ca = makeTestCa(dir);
  ca.issue('mirror');
}, 300_000);

afterAll(async () => {
  for (const m of mirrors) await m.stop();
  await containerd?.stop();
  await registry?.stop();
  await other?.stop();
  if (dir) removeTempDir(dir);
});

/** Pulls through a mirror and checks the mirror, not the `server` fallback, served every request. */
async function pullThrough(mirror: MirrorProcess, hostsDir: string, prefix: string, namespace: string): Promise<void> {
  const before = (await registry.accessEntries()).length;
  const result = await containerd.pullWithCtr(images.refs.single, hostsDir, { platform: 'linux/amd64', namespace });
  expect(result).toMatchObject({ code: 0 });
  expect(await containerd.imageDigest(images.refs.single, namespace)).toBe(images.single.descriptor.digest);
  const served = mirror.log().split('\n').filter((l) => l.includes(`"ns":"${registry.host}"`) && l.includes('"status":200'));
  expect(served.some((l) => l.includes(`"path":"/${prefix}/v2/${images.repos.single}/manifests/v1"`))).toBe(true);
  for (const layer of images.single.layers) expect(served.some((l) => l.includes(`"path":"/${prefix}/v2/${images.repos.single}/blobs/${layer.digest}"`))).toBe(true);
  const entries = (await registry.accessEntries()).slice(before);
  expect(entries.length).toBeGreaterThan(0);
  expect(entries.filter((e) => e.userAgent.startsWith('containerd/'))).toEqual([]);
  expect((await other.accessEntries()).filter((e) => e.uri.includes(images.repos.single))).toEqual([]);
}

describe('ctr pull through a [host] URL with a path', () => {
  it('plain HTTP: http://127.0.0.1:PORT/<registry host:port> reaches that registry', async () => {
    const mirrorDir = makeTempDir('ctr-prefix-http');
    const mirror = await startMirrorProcess(mirrorDir, runmd([other, registry], ''));
    mirrors.push(mirror);
    const hostsDir = path.join(dir, 'hosts-http');
    writeHosts(hostsDir, registry, `${mirror.url}/${registry.host}`);
    await pullThrough(mirror, hostsDir, registry.host, 'prefix-http');
  }, 300_000);

  it('HTTPS with .tls: https://127.0.0.1:PORT/<registry host_port>, containerd trusting the test CA', async () => {
    const mirrorDir = makeTempDir('ctr-prefix-tls');
    for (const file of ['mirror.crt', 'mirror.key']) fs.copyFileSync(path.join(dir, file), path.join(mirrorDir, file));
    const mirror = await startMirrorProcess(mirrorDir, runmd([other, registry], ': .tls mirror.crt mirror.key'));
    mirrors.push(mirror);
    const hostsDir = path.join(dir, 'hosts-tls');
    const segment = registry.host.replace(':', '_');
    writeHosts(hostsDir, registry, `https://127.0.0.1:${mirror.port}/${segment}`, ca.caFile);
    await pullThrough(mirror, hostsDir, segment, 'prefix-tls');
  }, 300_000);
});
