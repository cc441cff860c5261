import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { startServer, type RunningServer } from '../../lib/server';
import { httpRequest, pushManifest, pushTestImages, startContainerd, startRegistry, writeHostsToml, type Containerd, type HttpResponse, type PushedTestImages, type Registry } from '../harness';
import { captureLogger } from '../helpers/log-capture';

const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, */*';
const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let registry: Registry;
let images: PushedTestImages;
let mirror: MirrorRouter;
let server: RunningServer;
/** The same, teleporting all platforms: multi:v1 is answered with its converted index. */
let allMirror: MirrorRouter;
let allServer: RunningServer;
let dir: string;
const log = captureLogger('info');

// Distribution 2.8 has no referrers API: discovery goes through the `sha256-<hex>` tag schema.
const runmd = (upstream: string, platforms = 'linux/amd64'): string => `\`\`\` start mirror
+ .runtime
: .mirror ${upstream}

+ .proxy 127.0.0.1:0
: .manifests head, get
:   .resolve
:   .discover application/vnd.containerd.overlaybd.native.v1+json, dadi.image.v1
:   .teleport overlaybd ${platforms}
: .blobs head, get
:   .pull
\`\`\`
`;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-teleport-e2e-'));
  registry = await startRegistry({ auth: 'none' });
  images = await pushTestImages(registry, { largeMiB: 0 });
  // A tag with no referrers: the overlaybd manifest itself, tagged.
  await pushManifest(images.client, images.repos.single, 'plain', images.single.overlaybd.bytes, images.single.overlaybd.descriptor.mediaType);
  mirror = createMirror({ runmd: runmd(registry.url), home: dir, logger: log.logger });
  server = await startServer(mirror, log.logger);
  allMirror = createMirror({ runmd: runmd(registry.url, 'all-platforms'), home: path.join(dir, 'all'), logger: log.logger });
  allServer = await startServer(allMirror, log.logger);
}, 300_000);

afterAll(async () => {
  await server?.close();
  await mirror?.close();
  await allServer?.close();
  await allMirror?.close();
  await registry?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const manifest = (method: 'GET' | 'HEAD', repo: string, ref: string, via = server): Promise<HttpResponse> =>
  httpRequest(method, `${via.url}/v2/${repo}/manifests/${ref}?ns=${encodeURIComponent(registry.host)}`, { Accept: ACCEPT });

describe('teleport against CNCF Distribution (tag schema)', () => {
  it('answers GET and HEAD of single:v1 with the overlaybd referrer, byte for byte', async () => {
    const { single, repos } = images;
    const get = await manifest('GET', repos.single, 'v1');
    expect(get.status).toBe(200);
    expect(get.body.equals(single.overlaybd.bytes)).toBe(true);
    expect(get.headers['docker-content-digest']).toBe(single.overlaybd.descriptor.digest);
    expect(get.headers['content-type']).toBe(single.overlaybd.descriptor.mediaType);
    expect(get.headers['lifec-teleport']).toBe(`overlaybd; from=${single.descriptor.digest}`);
    const head = await manifest('HEAD', repos.single, 'v1');
    for (const name of ['docker-content-digest', 'content-type', 'content-length', 'lifec-teleport']) expect(head.headers[name]).toBe(get.headers[name]);
    expect(head.body.length).toBe(0);
  });

  it('answers a request by digest with exactly what was asked', async () => {
    const { single, repos } = images;
    const get = await manifest('GET', repos.single, single.descriptor.digest);
    expect(get.body.equals(single.bytes)).toBe(true);
    expect(get.headers['docker-content-digest']).toBe(single.descriptor.digest);
    expect(get.headers['lifec-teleport']).toBeUndefined();
  });

  it('passes a tag without a referrer through byte for byte', async () => {
    const get = await manifest('GET', images.repos.single, 'plain');
    expect(get.body.equals(images.single.overlaybd.bytes)).toBe(true);
    expect(get.headers['lifec-teleport']).toBeUndefined();
  });

  it('rewrites the amd64 entry of multi:v1 and serves the new index by digest', async () => {
    const { multi, repos } = images;
    const get = await manifest('GET', repos.multi, 'v1');
    const digest = sha256(get.body);
    expect(get.headers['docker-content-digest']).toBe(digest);
    expect(get.headers['lifec-teleport']).toBe(`overlaybd; from=${multi.descriptor.digest}; platforms=linux/amd64`);
    const served = JSON.parse(get.body.toString()) as { manifests: Array<{ digest: string; platform: unknown }> };
    expect(served.manifests.map((m) => m.digest)).toEqual([multi.amd64.overlaybd.descriptor.digest, multi.arm64.descriptor.digest]);
    expect(served.manifests.map((m) => m.platform)).toEqual([multi.amd64.platform, multi.arm64.platform]);
    const head = await manifest('HEAD', repos.multi, 'v1');
    expect(head.headers['docker-content-digest']).toBe(digest);
    expect(head.headers['content-length']).toBe(String(get.body.length));
    const byDigest = await manifest('GET', repos.multi, digest);
    expect(byDigest.body.equals(get.body)).toBe(true);
  });
});

describe('teleport of all platforms against CNCF Distribution (tag schema)', () => {
  it('answers multi:v1 with the converted index attached to it, byte for byte', async () => {
    const { multi, repos } = images;
    const get = await manifest('GET', repos.multi, 'v1', allServer);
    expect(get.status).toBe(200);
    expect(get.body.equals(multi.overlaybd.bytes)).toBe(true);
    expect(get.headers['docker-content-digest']).toBe(multi.overlaybd.descriptor.digest);
    expect(get.headers['lifec-teleport']).toBe(`overlaybd; from=${multi.descriptor.digest}; converted index`);
    const head = await manifest('HEAD', repos.multi, 'v1', allServer);
    for (const name of ['docker-content-digest', 'content-type', 'content-length']) expect(head.headers[name]).toBe(get.headers[name]);
  });
});

describe('containerd pulls a teleported tag through the mirror', () => {
  let containerd: Containerd | undefined;
  beforeAll(async () => {
    containerd = await startContainerd();
  }, 120_000);
  afterAll(async () => {
    await containerd?.stop();
  });
  const ctrd = (): Containerd => {
    if (!containerd) throw new Error('containerd did not start');
    return containerd;
  };

  it('resolves single:v1 to the streamable manifest and every blob verifies', async () => {
    const hostsDir = path.join(dir, 'certs.d');
    writeHostsToml(hostsDir, registry.host, [{ url: server.url }]);
    const result = await ctrd().pullWithCtr(images.refs.single, hostsDir, { namespace: 'single' });
    expect(result.code).toBe(0);
    expect(await ctrd().imageDigest(images.refs.single, 'single')).toBe(images.single.overlaybd.descriptor.digest);
  });

  /** Pulls multi:v1 for linux/amd64 through `via` into `namespace`; returns the registry requests the pull caused. */
  const pullMulti = async (via: RunningServer, namespace: string): Promise<string[]> => {
    const hostsDir = path.join(dir, `certs-${namespace}.d`);
    writeHostsToml(hostsDir, registry.host, [{ url: via.url }]);
    const before = (await registry.accessLog()).length;
    const result = await ctrd().pullWithCtr(images.refs.multi, hostsDir, { namespace, platform: 'linux/amd64' });
    expect(result.code).toBe(0);
    return (await registry.accessLog()).slice(before);
  };

  it('resolves multi:v1 to the rewritten index and fetches it by digest from the mirror', async () => {
    const seen = await pullMulti(server, 'multi');
    const digest = await ctrd().imageDigest(images.refs.multi, 'multi');
    expect(digest).not.toBe(images.multi.descriptor.digest);
    const served = await manifest('GET', images.repos.multi, digest ?? '');
    expect(sha256(served.body)).toBe(digest);
    // The rewritten index exists only in the mirror: containerd never had to fall back to the registry for it.
    expect(seen).not.toContain(`GET /v2/${images.repos.multi}/manifests/${digest}`);
    // The streamable amd64 manifest's blobs were fetched and verified (containerd checks every digest).
    const { stdout } = await ctrd().ctr(['content', 'ls', '-q'], 'multi');
    expect(stdout).toContain(images.multi.amd64.overlaybd.descriptor.digest);
  });

  it('with all-platforms, resolves multi:v1 to its converted index, which the registry serves by digest', async () => {
    const seen = await pullMulti(allServer, 'multi-all');
    expect(await ctrd().imageDigest(images.refs.multi, 'multi-all')).toBe(images.multi.overlaybd.descriptor.digest);
    // Nothing came from the mirror's memory: the converted index was fetched from the registry by digest.
    expect(seen).toContain(`GET /v2/${images.repos.multi}/manifests/${images.multi.overlaybd.descriptor.digest}`);
    const { stdout } = await ctrd().ctr(['content', 'ls', '-q'], 'multi-all');
    expect(stdout).toContain(images.multi.amd64.overlaybd.descriptor.digest);
  });
});
