import { ReferrersRegistry, type TestDescriptor } from '../helpers/referrers-upstream';
import { TeleportMirrors } from '../helpers/teleport-mirror';

const NATIVE = 'application/vnd.containerd.overlaybd.native.v1+json';

let registry: ReferrersRegistry;
let mirrors: TeleportMirrors;
beforeAll(async () => {
  registry = await new ReferrersRegistry().start();
  mirrors = new TeleportMirrors(registry);
});
afterAll(async () => {
  await mirrors.close();
  await registry.close();
});
beforeEach(() => registry.reset());

const freshRepo = (): string => mirrors.freshRepo();
const mirrorApp = (plugins: string[]) => mirrors.app(plugins);
const get = (...args: Parameters<TeleportMirrors['get']>) => mirrors.get(...args);
const head = (...args: Parameters<TeleportMirrors['head']>) => mirrors.head(...args);
const expectServed = (...args: Parameters<TeleportMirrors['expectServed']>) => mirrors.expectServed(...args);

/** An image tagged v1 with one overlaybd referrer. */
function singleImage(repo: string): { image: TestDescriptor; streamable: TestDescriptor } {
  const image = registry.image(repo, {}, 'v1');
  return { image, streamable: registry.referrer(repo, image, NATIVE) };
}

describe('.teleport overlaybd through the referrers API', () => {
  it('answers GET and HEAD of a tag with the streamable manifest and consistent headers', async () => {
    const repo = freshRepo();
    const { image, streamable } = singleImage(repo);
    const { app, log } = mirrorApp(['.teleport overlaybd']);
    const res = await get(app, repo, 'v1');
    expectServed(res, repo, streamable);
    expect(res.headers['lifec-teleport']).toBe(`overlaybd; from=${image.digest}`);
    const h = await head(app, repo, 'v1');
    expect(h.status).toBe(200);
    for (const name of ['docker-content-digest', 'content-type', 'content-length', 'lifec-teleport']) expect(h.headers[name]).toBe(res.headers[name]);
    expect(log()).toContain('"msg":"teleported"');
    expect(await mirrors.metricsText()).toContain('lifec_teleports_total{outcome="teleported"} 2');
  });

  it('never alters a request by digest', async () => {
    const repo = freshRepo();
    const { image } = singleImage(repo);
    const { app } = mirrorApp(['.teleport overlaybd']);
    const res = await get(app, repo, image.digest);
    expectServed(res, repo, image);
    expect(res.headers['lifec-teleport']).toBeUndefined();
  });

  it('passes a tag without a streamable referrer through byte for byte', async () => {
    const repo = freshRepo();
    const image = registry.image(repo, {}, 'v1');
    registry.referrer(repo, image, 'application/vnd.example.sbom');
    const { app } = mirrorApp(['.teleport overlaybd']);
    expectServed(await get(app, repo, 'v1'), repo, image);
  });

  it('follows Link pages and filters types the registry did not filter', async () => {
    const repo = freshRepo();
    const image = registry.image(repo, {}, 'v1');
    for (let i = 0; i < 3; i++) registry.referrer(repo, image, 'application/vnd.example.signature');
    const streamable = registry.referrer(repo, image, NATIVE);
    registry.behaviour.pageSize = 1;
    const { app } = mirrorApp(['.teleport overlaybd']);
    expectServed(await get(app, repo, 'v1'), repo, streamable);
    expect(registry.seen().filter((r) => r.includes(`/v2/${repo}/referrers/`))).toHaveLength(4);
  });

  it('does not follow a pagination link to another origin', async () => {
    const repo = freshRepo();
    const image = registry.image(repo, {}, 'v1');
    registry.referrer(repo, image, 'application/vnd.example.signature');
    registry.referrer(repo, image, NATIVE);
    Object.assign(registry.behaviour, { pageSize: 1, foreignLinks: true });
    const { app, log } = mirrorApp(['.teleport overlaybd']);
    expectServed(await get(app, repo, 'v1'), repo, image);
    expect(log()).toContain('another origin');
  });

  it('looks referrers up once for a burst of pulls of the same tag', async () => {
    const repo = freshRepo();
    const { streamable } = singleImage(repo);
    const { app } = mirrorApp(['.teleport overlaybd']);
    const answers = await Promise.all(Array.from({ length: 5 }, () => get(app, repo, 'v1')));
    for (const res of answers) expectServed(res, repo, streamable);
    await get(app, repo, 'v1');
    expect(registry.seen().filter((r) => r.includes(`/v2/${repo}/referrers/`))).toHaveLength(1);
  });

  it('serves the original when the client does not accept the streamable media type', async () => {
    const repo = freshRepo();
    const { image } = singleImage(repo);
    const { app } = mirrorApp(['.teleport overlaybd']);
    expectServed(await get(app, repo, 'v1', { Accept: 'application/vnd.docker.distribution.manifest.v2+json' }), repo, image);
  });

  it('with on-request teleports only when x-ms-upgrade-if-streamable asks for overlaybd', async () => {
    const repo = freshRepo();
    const { image, streamable } = singleImage(repo);
    const { app } = mirrorApp(['.teleport overlaybd on-request']);
    expectServed(await get(app, repo, 'v1'), repo, image);
    expectServed(await get(app, repo, 'v1', { 'x-ms-upgrade-if-streamable': 'overlaybd' }), repo, streamable);
  });

  it('uses the types .discover names, so dadi.image.v1 wins when it is the only one asked for', async () => {
    const repo = freshRepo();
    const image = registry.image(repo, {}, 'v1');
    registry.referrer(repo, image, NATIVE);
    const dadi = registry.referrer(repo, image, 'dadi.image.v1');
    const { app } = mirrorApp(['.discover dadi.image.v1', '.teleport overlaybd']);
    expectServed(await get(app, repo, 'v1'), repo, dadi);
    expect(registry.seen()).toContain(`GET /v2/${repo}/referrers/${image.digest}?artifactType=dadi.image.v1`);
  });
});

describe('.discover fallbacks', () => {
  it('reads the tag schema when the referrers API answers 404', async () => {
    const repo = freshRepo();
    const { image, streamable } = singleImage(repo);
    registry.behaviour.api = '404';
    const { app } = mirrorApp(['.discover', '.teleport overlaybd']);
    expectServed(await get(app, repo, 'v1'), repo, streamable);
    expect(registry.seen()).toContain(`GET /v2/${repo}/manifests/${image.digest.replace(':', '-')}`);
  });

  it('asks the legacy ORAS path when enabled and the tag schema has nothing', async () => {
    const repo = freshRepo();
    const { image, streamable } = singleImage(repo);
    Object.assign(registry.behaviour, { api: '404', tagSchema: false, oras: true });
    const { app } = mirrorApp([`.discover ${NATIVE}, legacy-oras`, '.teleport overlaybd']);
    expectServed(await get(app, repo, 'v1'), repo, streamable);
    expect(registry.seen()).toContain(`GET /v2/${repo}/manifests/${image.digest.replace(':', '-')}`);
    expect(registry.seen().some((r) => r.startsWith(`GET /v2/${repo}/_oras/artifacts/referrers?digest=`))).toBe(true);
  });
});

describe('configuration mistakes', () => {
  const compile = (line: string) => () => mirrorApp([line]);

  it('reports an unknown teleport format at the input column', () => {
    expect(compile('.teleport overlaybdd')).toThrow(/^mirror\.runmd:\d+:15: unknown teleport format "overlaybdd" \(known: overlaybd, azure-streaming\)$/);
  });

  it('reports a malformed platform and a malformed artifact type', () => {
    expect(compile('.teleport overlaybd linux/')).toThrow('is not a platform');
    expect(compile('.discover dadi.image.v1, bad;type')).toThrow('"bad;type" is not an artifact type');
    expect(compile('.discover dadi.image.v1, ttl=soon')).toThrow('"soon" is not a duration');
  });
});
