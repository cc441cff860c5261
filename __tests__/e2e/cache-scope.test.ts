import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatCredentialFile } from '../../lib/auth/credential-file';
import { registryDir } from '../../lib/auth/credential-source';
import { writeSecretFile } from '../../lib/auth/secret-file';
import { createMirror } from '../../lib/mirror';
import { silentLogger } from '../../lib/log';
import { startServer, type RunningServer } from '../../lib/server';
import { httpRequest, pushBlob, pushManifest, RegistryClient, startRegistry, type Registry } from '../harness';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const sha256 = (bytes: Buffer): string => `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;

const runmd = (upstream: string, cacheDir: string, options: { scope?: string; auth?: boolean } = {}): string => {
  const auth = options.auth ? ':   .login access_token\n:   .authn oauth2\n' : '';
  return `\`\`\` start mirror
+ .runtime
: .mirror ${upstream}
: .connect_timeout 1s

+ .proxy 127.0.0.1:0
: .cache ${cacheDir}
${options.scope ? `: .cache_scope ${options.scope}\n` : ''}: .retries 0
: .manifests head, get
${auth}:   .resolve
: .blobs head, get
${auth}:   .pull
\`\`\`
`;
};

/** A layer, a config and the manifest that binds them, pushed to each of `repositories`. */
async function pushImage(target: string | RegistryClient, repositories: string[]): Promise<{ layer: string; manifest: string; bytes: Buffer }> {
  const layerBytes = crypto.randomBytes(64 * 1024);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layerBytes), size: layerBytes.length }],
    }),
  );
  for (const repository of repositories) {
    await pushBlob(target, repository, layerBytes);
    await pushBlob(target, repository, config);
    await pushManifest(target, repository, 'v1', manifest, OCI_MANIFEST);
  }
  return { layer: sha256(layerBytes), manifest: sha256(manifest), bytes: layerBytes };
}

const errorCode = (body: Buffer): string => (JSON.parse(body.toString()) as { errors: Array<{ code: string }> }).errors[0]!.code;

let home: string;
beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-cache-scope-'));
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe('cache hits respect repository boundaries (open registry)', () => {
  let registry: Registry;
  let image: { layer: string; manifest: string; bytes: Buffer };
  let scoped: RunningServer;
  let shared: RunningServer;
  const scopedDir = () => path.join(home, 'scoped-cache');
  /** Requests the mirrors sent (those after the pushes) for `digest` under `repository`. */
  let pushed = 0;
  const blobRequests = async (repository: string, digest: string) =>
    (await registry.accessEntries())
      .slice(pushed)
      .filter((e) => e.uri.startsWith(`/v2/${repository}/`) && e.uri.includes(digest))
      .map((e) => e.method);

  beforeAll(async () => {
    registry = await startRegistry();
    // team-a and team-c hold the image; team-b exists but holds other content.
    image = await pushImage(registry.url, ['team-a/app', 'team-c/app']);
    await pushImage(registry.url, ['team-b/app']);
    pushed = (await registry.accessEntries()).length;
    scoped = await startServer(createMirror({ runmd: runmd(registry.url, scopedDir()), home, logger: silentLogger() }), silentLogger());
    shared = await startServer(createMirror({ runmd: runmd(registry.url, path.join(home, 'shared-cache'), { scope: 'registry' }), home, logger: silentLogger() }), silentLogger());
    for (const server of [scoped, shared]) {
      expect((await httpRequest('GET', `${server.url}/v2/team-a/app/blobs/${image.layer}`)).status).toBe(200);
      expect((await httpRequest('GET', `${server.url}/v2/team-a/app/manifests/${image.manifest}`, { Accept: OCI_MANIFEST })).status).toBe(200);
    }
  }, 120_000);
  afterAll(async () => {
    await scoped?.close();
    await shared?.close();
    await registry?.stop();
  });

  it('serves the repository that pulled it from the cache without asking again', async () => {
    const again = await httpRequest('GET', `${scoped.url}/v2/team-a/app/blobs/${image.layer}`);
    expect(again.status).toBe(200);
    expect(sha256(again.body)).toBe(image.layer);
    // One GET for each mirror's first pull, nothing for the hit.
    expect(await blobRequests('team-a/app', image.layer)).toEqual(['GET', 'GET']);
  });

  it('answers 404 under a repository that does not hold the blob or manifest', async () => {
    const blob = await httpRequest('GET', `${scoped.url}/v2/team-b/app/blobs/${image.layer}`);
    expect(blob.status).toBe(404);
    expect(errorCode(blob.body)).toBe('BLOB_UNKNOWN');
    expect((await httpRequest('HEAD', `${scoped.url}/v2/team-b/app/blobs/${image.layer}`)).status).toBe(404);
    const manifest = await httpRequest('GET', `${scoped.url}/v2/team-b/app/manifests/${image.manifest}`, { Accept: OCI_MANIFEST });
    expect(manifest.status).toBe(404);
    expect(errorCode(manifest.body)).toBe('MANIFEST_UNKNOWN');
  });

  it('confirms another repository that holds it with one HEAD, then serves it from the cache', async () => {
    for (let i = 0; i < 2; i++) {
      const blob = await httpRequest('GET', `${scoped.url}/v2/team-c/app/blobs/${image.layer}`);
      expect(blob.status).toBe(200);
      expect(sha256(blob.body)).toBe(image.layer);
    }
    expect(await blobRequests('team-c/app', image.layer)).toEqual(['HEAD']);
  });

  describe('with the upstream stopped', () => {
    beforeAll(() => registry.stop());

    it('serves confirmed repositories from the cache', async () => {
      for (const repository of ['team-a/app', 'team-c/app']) {
        const blob = await httpRequest('GET', `${scoped.url}/v2/${repository}/blobs/${image.layer}`);
        expect({ repository, status: blob.status }).toEqual({ repository, status: 200 });
      }
      const manifest = await httpRequest('GET', `${scoped.url}/v2/team-a/app/manifests/${image.manifest}`, { Accept: OCI_MANIFEST });
      expect(manifest.status).toBe(200);
    });

    it('serves nothing to a repository the upstream never confirmed', async () => {
      for (const repository of ['team-b/app', 'team-d/app']) {
        const blob = await httpRequest('GET', `${scoped.url}/v2/${repository}/blobs/${image.layer}`);
        expect([502, 503, 504]).toContain(blob.status);
        const manifest = await httpRequest('GET', `${scoped.url}/v2/${repository}/manifests/${image.manifest}`, { Accept: OCI_MANIFEST });
        expect([502, 503, 504]).toContain(manifest.status);
      }
    });

    it('keeps what was confirmed across a restart (it lives next to the content)', async () => {
      const restarted = await startServer(createMirror({ runmd: runmd(registry.url, scopedDir()), home, logger: silentLogger() }), silentLogger());
      try {
        expect((await httpRequest('GET', `${restarted.url}/v2/team-c/app/blobs/${image.layer}`)).status).toBe(200);
        expect([502, 503, 504]).toContain((await httpRequest('GET', `${restarted.url}/v2/team-d/app/blobs/${image.layer}`)).status);
      } finally {
        await restarted.close();
      }
    });

    it('serves every repository of the registry with .cache_scope registry', async () => {
      const blob = await httpRequest('GET', `${shared.url}/v2/team-d/app/blobs/${image.layer}`);
      expect(blob.status).toBe(200);
      expect(sha256(blob.body)).toBe(image.layer);
    });
  });
});

describe('cache hits respect repository boundaries (token auth, no access to team-b)', () => {
  let registry: Registry;
  let image: { layer: string; manifest: string };
  let server: RunningServer;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'token', anonymous: 'none' });
    const { username, password } = registry.credentials!;
    // team-b holds the same image: only the token server's refusal keeps it from the mirror's user.
    image = await pushImage(new RegistryClient(registry.url, { username, password }), ['team-a/app', 'team-b/app']);
    registry.token!.server.settings.denied = ['team-b/app'];
    const tokenHome = path.join(home, 'token');
    await writeSecretFile(path.join(registryDir(tokenHome, registry.host), 'access_token'), formatCredentialFile(username, password));
    server = await startServer(createMirror({ runmd: runmd(registry.url, path.join(tokenHome, 'cache'), { auth: true }), home: tokenHome, logger: silentLogger() }), silentLogger());
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await registry?.stop();
  });

  it('passes on the refusal instead of serving the cached blob and manifest', async () => {
    expect((await httpRequest('GET', `${server.url}/v2/team-a/app/blobs/${image.layer}`)).status).toBe(200);
    expect((await httpRequest('GET', `${server.url}/v2/team-a/app/manifests/${image.manifest}`, { Accept: OCI_MANIFEST })).status).toBe(200);
    const blob = await httpRequest('GET', `${server.url}/v2/team-b/app/blobs/${image.layer}`);
    expect([401, 403]).toContain(blob.status);
    expect(['UNAUTHORIZED', 'DENIED']).toContain(errorCode(blob.body));
    const manifest = await httpRequest('GET', `${server.url}/v2/team-b/app/manifests/${image.manifest}`, { Accept: OCI_MANIFEST });
    expect([401, 403]).toContain(manifest.status);
  });
});
