import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MediaType, OVERLAYBD_ANNOTATION, OVERLAYBD_ARTIFACT_TYPE, RegistryClient, httpRequest, pushTestImages, startContainerd, startRegistry, writeHostsToml, type BuiltManifest, type Containerd, type PushedTestImages, type Registry } from '../harness';

const ACCEPT = [MediaType.manifest, MediaType.index].join(', ');
const sha256 = (bytes: Buffer): string => 'sha256:' + crypto.createHash('sha256').update(bytes).digest('hex');

/** Every manifest pushTestImages put up, as [repo, reference, expected]. */
function expectedManifests(p: PushedTestImages): Array<[string, string, BuiltManifest]> {
  const { single, multi, repos } = p;
  const out: Array<[string, string, BuiltManifest]> = [
    [repos.single, 'v1', single],
    [repos.single, single.overlaybd.descriptor.digest, single.overlaybd],
    [repos.single, single.dadi.descriptor.digest, single.dadi],
    [repos.single, single.referrersIndex.tag, single.referrersIndex],
    [repos.multi, 'v1', multi],
    [repos.multi, multi.overlaybd.descriptor.digest, multi.overlaybd],
    [repos.multi, multi.referrersIndex.tag, multi.referrersIndex],
  ];
  for (const platform of [multi.amd64, multi.arm64]) {
    out.push([repos.multi, platform.descriptor.digest, platform]);
    out.push([repos.multi, platform.overlaybd.descriptor.digest, platform.overlaybd]);
    out.push([repos.multi, platform.referrersIndex.tag, platform.referrersIndex]);
  }
  return out;
}

describe.each(['none', 'htpasswd', 'token'] as const)('registry harness with auth %s', (auth) => {
  let registry: Registry | undefined;
  let pushed: PushedTestImages;
  const reg = (): Registry => {
    if (!registry) throw new Error('registry did not start');
    return registry;
  };

  beforeAll(async () => {
    registry = await startRegistry({ auth });
    pushed = await pushTestImages(registry, { largeMiB: auth === 'none' ? 8 : 0 });
  }, 180_000);
  afterAll(async () => {
    await registry?.stop();
  });

  test('serves every pushed manifest byte for byte with its digest', async () => {
    const reader = new RegistryClient(reg().url, reg().credentials);
    for (const [repo, ref, expected] of expectedManifests(pushed)) {
      const res = await reader.request('GET', `/v2/${repo}/manifests/${ref}`, { Accept: ACCEPT });
      expect({ ref, status: res.status }).toEqual({ ref, status: 200 });
      expect(res.headers['docker-content-digest']).toBe(expected.descriptor.digest);
      expect(res.headers['content-type']).toBe(expected.descriptor.mediaType);
      expect(res.body.equals(expected.bytes)).toBe(true);
      expect(sha256(res.body)).toBe(expected.descriptor.digest);
    }
  });

  test('lists the overlaybd referrer of single:v1 in its tag-schema index', () => {
    const index = JSON.parse(pushed.single.referrersIndex.bytes.toString()) as { manifests: Array<{ artifactType?: string }> };
    expect(pushed.single.referrersIndex.tag).toBe(pushed.single.descriptor.digest.replace(':', '-'));
    expect(index.manifests.map((m) => m.artifactType)).toEqual([OVERLAYBD_ARTIFACT_TYPE, 'dadi.image.v1']);
    const manifest = JSON.parse(pushed.single.overlaybd.bytes.toString()) as {
      subject: { digest: string }; layers: Array<{ digest: string; annotations: Record<string, string> }>;
    };
    expect(manifest.subject.digest).toBe(pushed.single.descriptor.digest);
    const layer = manifest.layers[0];
    expect(layer?.annotations[OVERLAYBD_ANNOTATION.digest]).toBe(layer?.digest);
  });

  if (auth !== 'none') {
    test('refuses anonymous pushes and records the token requests', async () => {
      const anonymous = await httpRequest('POST', `${reg().url}/v2/${pushed.repos.single}/blobs/uploads/`);
      expect(anonymous.status).toBe(401);
      const token = reg().token;
      if (auth === 'token') {
        expect(token?.server.requests.length).toBeGreaterThan(0);
        expect(token?.server.requests.every((r) => r.status === 200 && r.user === 'testuser')).toBe(true);
      }
    });
  }

  if (auth === 'token') {
    test('token server signs x5c headers and trades refresh tokens for access tokens', async () => {
      const server = reg().token?.server;
      if (!server) throw new Error('token server missing');
      const form = (fields: Record<string, string>): Buffer => Buffer.from(new URLSearchParams(fields).toString());
      const scope = `repository:${pushed.repos.single}:pull`;
      const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
      const first = await httpRequest('POST', server.realm, headers, form({
        grant_type: 'password', username: 'testuser', password: 'testpassword', service: server.service, scope, access_type: 'offline',
      }));
      const { refresh_token: refresh } = JSON.parse(first.body.toString()) as { refresh_token?: string };
      expect(refresh).toBeDefined();
      server.settings.header = 'x5c';
      const second = await httpRequest('POST', server.realm, headers, form({
        grant_type: 'refresh_token', refresh_token: refresh ?? '', service: server.service, scope,
      }));
      const { access_token: token } = JSON.parse(second.body.toString()) as { access_token: string };
      server.settings.header = 'kid';
      const res = await httpRequest('GET', `${reg().url}/v2/${pushed.repos.single}/manifests/v1`, {
        Accept: ACCEPT, Authorization: `Bearer ${token}`,
      });
      expect(res.status).toBe(200);
      expect(server.requests.slice(-2).map((r) => r.grantType)).toEqual(['password', 'refresh_token']);
    });
  }

  if (auth === 'none') {
    test('stores the large layer streamed from disk', async () => {
      const large = pushed.large;
      if (!large) throw new Error('large image missing');
      const layer = large.layers[1];
      if (!layer) throw new Error('large layer missing');
      const head = await httpRequest('HEAD', `${reg().url}/v2/${pushed.repos.large}/blobs/${layer.digest}`);
      expect(head.status).toBe(200);
      expect(Number(head.headers['content-length'])).toBe(layer.size);
      expect(layer.size).toBeGreaterThan(8 << 20);
    });

    test('keeps its content across a restart and logs the requests it saw', async () => {
      await reg().restart();
      const res = await httpRequest('GET', `${reg().url}/v2/${pushed.repos.single}/manifests/v1`, { Accept: ACCEPT });
      expect(res.body.equals(pushed.single.bytes)).toBe(true);
      expect(await reg().accessLog()).toContain(`GET /v2/${pushed.repos.single}/manifests/v1`);
    });
  }
});

describe('containerd harness', () => {
  const registries: Registry[] = [];
  let containerd: Containerd | undefined;
  const ctrd = (): Containerd => {
    if (!containerd) throw new Error('containerd did not start');
    return containerd;
  };

  beforeAll(async () => {
    containerd = await startContainerd();
  }, 120_000);
  afterAll(async () => {
    await containerd?.stop();
    for (const r of registries) await r.stop();
  });

  async function registryWithImages(auth: 'none' | 'token'): Promise<{ registry: Registry; pushed: PushedTestImages }> {
    const registry = await startRegistry({ auth });
    registries.push(registry);
    return { registry, pushed: await pushTestImages(registry, { largeMiB: 0 }) };
  }

  test('pulls single:v1 over plain http without a hosts dir (loopback defaults to http)', async () => {
    const { pushed } = await registryWithImages('none');
    const result = await ctrd().pullWithCtr(pushed.refs.single, undefined, { platform: 'linux/amd64', namespace: 'plain' });
    expect(result).toMatchObject({ code: 0 });
    expect(await ctrd().imageDigest(pushed.refs.single, 'plain')).toBe(pushed.single.descriptor.digest);
  });

  test('pulls multi:v1 for arm64 through a hosts dir', async () => {
    const { registry, pushed } = await registryWithImages('none');
    const hostsDir = path.join(ctrd().dir, 'hosts');
    expect(fs.readFileSync(writeHostsToml(hostsDir, registry.host), 'utf8')).toContain(`server = "http://${registry.host}"`);
    const result = await ctrd().pullWithCtr(pushed.refs.multi, hostsDir, { platform: 'linux/arm64/v8', namespace: 'hosts' });
    expect(result).toMatchObject({ code: 0 });
    expect(await ctrd().imageDigest(pushed.refs.multi, 'hosts')).toBe(pushed.multi.descriptor.digest);
    const log = await registry.accessLog();
    expect(log).toContain(`GET /v2/${pushed.repos.multi}/manifests/${pushed.multi.arm64.descriptor.digest}`);
    expect(log).not.toContain(`GET /v2/${pushed.repos.multi}/manifests/${pushed.multi.amd64.descriptor.digest}`);
  });

  test('pulls from a token registry with credentials', async () => {
    const { registry, pushed } = await registryWithImages('token');
    const server = registry.token?.server;
    if (!server) throw new Error('token server missing');
    server.requests.length = 0;
    const result = await ctrd().pullWithCtr(pushed.refs.single, undefined, {
      platform: 'linux/amd64', namespace: 'token', user: 'testuser:testpassword',
    });
    expect(result).toMatchObject({ code: 0 });
    expect(await ctrd().imageDigest(pushed.refs.single, 'token')).toBe(pushed.single.descriptor.digest);
    // containerd posts the OAuth2 form when it has credentials (remotes/docker/auth/fetch.go).
    expect(server.requests.some((r) => r.method === 'POST' && r.grantType === 'password' && r.user === 'testuser')).toBe(true);
  });
});
