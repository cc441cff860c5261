import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { formatCredentialFile } from '../../lib/auth/credential-file';
import { registryDir } from '../../lib/auth/credential-source';
import { writeSecretFile } from '../../lib/auth/secret-file';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { startServer, type RunningServer } from '../../lib/server';
import { findBinary, httpRequest, pushTestImages, startContainerd, startRegistry, writeHostsToml, type Containerd, type PushedTestImages, type Registry } from '../harness';
import { captureLogger, type CapturedLogger } from '../helpers/log-capture';

const run = promisify(execFile);
const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json';
const sha256 = (bytes: Buffer): string => `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;

const runmd = (tokenRegistry: string, htpasswdRegistry: string): string => `
\`\`\` start mirror
+ .runtime
: .mirror ${tokenRegistry}
: .default
: .mirror ${htpasswdRegistry}

+ .proxy 127.0.0.1:0
: .manifests head, get
:   .login access_token
:   .authn oauth2
:   .resolve
: .blobs head, get
:   .login access_token
:   .authn oauth2
:   .pull
: .tags get
:   .login access_token
:   .authn oauth2
:   .pull
\`\`\`
`;

let tokenRegistry: Registry;
let htpasswdRegistry: Registry;
let tokenImages: PushedTestImages;
let htpasswdImages: PushedTestImages;
let home: string;
let log: CapturedLogger;

/** A mirror served on a loopback port, with the harness registries' credentials in its credential files only. */
async function startMirror(): Promise<{ mirror: MirrorRouter; server: RunningServer }> {
  const mirror = createMirror({ runmd: runmd(tokenRegistry.url, htpasswdRegistry.url), home, logger: log.logger });
  return { mirror, server: await startServer(mirror, log.logger) };
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-auth-e2e-'));
  log = captureLogger();
  tokenRegistry = await startRegistry({ auth: 'token', anonymous: 'none' });
  htpasswdRegistry = await startRegistry({ auth: 'htpasswd' });
  tokenImages = await pushTestImages(tokenRegistry, { largeMiB: 0 });
  htpasswdImages = await pushTestImages(htpasswdRegistry, { largeMiB: 0 });
  for (const registry of [tokenRegistry, htpasswdRegistry]) {
    const { username, password } = registry.credentials!;
    await writeSecretFile(path.join(registryDir(home, registry.host), 'access_token'), formatCredentialFile(username, password));
  }
}, 300_000);

afterAll(async () => {
  await tokenRegistry?.stop();
  await htpasswdRegistry?.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('pulling private images through the mirror with credentials only the mirror has', () => {
  let mirror: MirrorRouter;
  let server: RunningServer;
  beforeAll(async () => ({ mirror, server } = await startMirror()));
  afterAll(async () => server?.close());

  it('refuses an anonymous client at both registries (the images really are private)', async () => {
    for (const [registry, images] of [[tokenRegistry, tokenImages], [htpasswdRegistry, htpasswdImages]] as const) {
      const direct = await httpRequest('GET', `${registry.url}/v2/${images.repos.single}/manifests/v1`, { Accept: ACCEPT });
      expect(direct.status).toBe(401);
    }
  });

  it.each(['token', 'htpasswd'] as const)('serves manifest and blobs of the %s registry over raw HTTP', async (mode) => {
    const [registry, images] = mode === 'token' ? [tokenRegistry, tokenImages] : [htpasswdRegistry, htpasswdImages];
    const ns = `ns=${encodeURIComponent(registry.host)}`;
    const manifest = await httpRequest('GET', `${server.url}/v2/${images.repos.single}/manifests/v1?${ns}`, { Accept: ACCEPT });
    expect(manifest.status).toBe(200);
    expect(manifest.headers['docker-content-digest']).toBe(images.single.descriptor.digest);
    expect(sha256(manifest.body)).toBe(images.single.descriptor.digest);
    for (const layer of images.single.layers) {
      const blob = await httpRequest('GET', `${server.url}/v2/${images.repos.single}/blobs/${layer.digest}?${ns}`);
      expect({ digest: layer.digest, status: blob.status }).toEqual({ digest: layer.digest, status: 200 });
      expect(sha256(blob.body)).toBe(layer.digest);
    }
    const tags = await httpRequest('GET', `${server.url}/v2/${images.repos.single}/tags/list?${ns}`);
    expect(JSON.parse(tags.body.toString()) as unknown).toMatchObject({ tags: expect.arrayContaining(['v1']) });
  });

  it('serves skopeo a complete image from the token registry', async () => {
    const out = path.join(home, 'skopeo-out');
    const src = `docker://127.0.0.1:${server.address.port}/${tokenImages.repos.single}:v1`;
    await run(findBinary('skopeo'), ['copy', '--src-tls-verify=false', '--preserve-digests', src, `oci:${out}:v1`], { timeout: 120_000 });
    const index = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    expect(index.manifests[0]?.digest).toBe(tokenImages.single.descriptor.digest);
    for (const layer of tokenImages.single.layers) {
      expect(sha256(fs.readFileSync(path.join(out, 'blobs', ...layer.digest.split(':'))))).toBe(layer.digest);
    }
  });

  it('keeps the credentials of one registry away from the other', async () => {
    expect(mirror.services.auth.challenges.get(htpasswdRegistry.host)?.scheme).toBe('basic');
    expect(mirror.services.auth.challenges.get(tokenRegistry.host)?.scheme).toBe('bearer');
  });
});

describe('a cold mirror under 100 concurrent manifest requests', () => {
  let server: RunningServer;
  beforeAll(async () => ({ server } = await startMirror()));
  afterAll(async () => server?.close());

  it('asks the token server exactly once', async () => {
    const requests = tokenRegistry.token!.server.requests;
    const before = requests.length;
    const url = `${server.url}/v2/${tokenImages.repos.multi}/manifests/v1?ns=${encodeURIComponent(tokenRegistry.host)}`;
    const answers = await Promise.all(Array.from({ length: 100 }, () => httpRequest('GET', url, { Accept: ACCEPT })));
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
    expect(answers.every((a) => a.headers['docker-content-digest'] === tokenImages.multi.descriptor.digest)).toBe(true);
    const made = requests.slice(before);
    expect(made).toEqual([expect.objectContaining({ method: 'POST', grantType: 'password', status: 200, scope: `repository:${tokenImages.repos.multi}:pull` })]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(`lifec_token_fetches_total{upstream="${tokenRegistry.host}",outcome="ok"} 1`);
  });
});

describe('containerd pulling through the mirror without credentials of its own', () => {
  let containerd: Containerd;
  let server: RunningServer;
  beforeAll(async () => {
    ({ server } = await startMirror());
    containerd = await startContainerd();
  }, 120_000);
  afterAll(async () => {
    await containerd?.stop();
    await server?.close();
  });

  it('pulls the private image from the token registry', async () => {
    const hostsDir = path.join(home, 'certs.d');
    writeHostsToml(hostsDir, tokenRegistry.host, [{ url: server.url }]);
    const result = await containerd.pullWithCtr(tokenImages.refs.single, hostsDir);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await containerd.imageDigest(tokenImages.refs.single)).toBe(tokenImages.single.descriptor.digest);
  });
});

describe('the logs of the whole run', () => {
  it('hold no password, Basic credential or token', () => {
    const text = log.text();
    expect(text.length).toBeGreaterThan(0);
    const { username, password } = tokenRegistry.credentials!;
    expect(text).not.toContain(password);
    expect(text).not.toContain(Buffer.from(`${username}:${password}`).toString('base64'));
    // Every JWT starts with the base64 of '{"': no token of the token server may appear.
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });
});
