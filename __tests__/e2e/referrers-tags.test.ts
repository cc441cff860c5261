import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { startServer, type RunningServer } from '../../lib/server';
import { httpRequest, pushManifest, pushTestImages, startRegistry, OVERLAYBD_ARTIFACT_TYPE, DADI_ARTIFACT_TYPE, type PushedTestImages, type Registry } from '../harness';
import { basicRunmd } from '../helpers/upstream-server';
import { captureLogger } from '../helpers/log-capture';

// Distribution 2.8 has no referrers API (it answers 404) and ignores n/last on tag lists.
let registry: Registry;
let images: PushedTestImages;
let mirror: MirrorRouter;
let server: RunningServer;
const log = captureLogger('info');

beforeAll(async () => {
  registry = await startRegistry({ auth: 'none' });
  images = await pushTestImages(registry, { largeMiB: 0 });
  // Tags whose byte order (upper case first) differs from the spec's lexical order.
  for (const tag of ['Zeta', 'alpha', 'Beta']) {
    await pushManifest(images.client, images.repos.single, tag, images.single.bytes, images.single.descriptor.mediaType);
  }
  mirror = createMirror({ runmd: basicRunmd([registry.url]), logger: log.logger });
  server = await startServer(mirror, log.logger, { host: '127.0.0.1', port: 0 });
}, 300_000);

afterAll(async () => {
  await server?.close();
  await mirror?.close();
  await registry?.stop();
});

const ns = () => `ns=${encodeURIComponent(registry.host)}`;
const get = (path: string) => httpRequest('GET', `${server.url}${path}`);
const json = <T>(body: Buffer): T => JSON.parse(body.toString('utf8')) as T;
type Index = { schemaVersion: number; mediaType: string; manifests: Array<{ digest: string; artifactType?: string }> };

describe('referrers from a registry without the referrers API', () => {
  it('answers 200 with an OCI index of the tag-schema referrers', async () => {
    const subject = images.single.descriptor.digest;
    const res = await get(`/v2/${images.repos.single}/referrers/${subject}?${ns()}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.oci.image.index.v1+json');
    expect(res.headers['oci-filters-applied']).toBeUndefined();
    const index = json<Index>(res.body);
    expect(index).toEqual(expect.objectContaining({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json' }));
    expect(index.manifests.map((m) => m.digest).sort()).toEqual([images.single.overlaybd.descriptor.digest, images.single.dadi.descriptor.digest].sort());
    // The registry was asked for the API first (404), then for the tag.
    const seen = await registry.accessEntries();
    expect(seen).toContainEqual(expect.objectContaining({ method: 'GET', uri: `/v2/${images.repos.single}/referrers/${subject}`, status: 404 }));
    expect(seen).toContainEqual(expect.objectContaining({ method: 'GET', uri: `/v2/${images.repos.single}/manifests/${subject.replace(':', '-')}`, status: 200 }));
  });

  it('applies the artifactType filter and says so with OCI-Filters-Applied', async () => {
    const subject = images.single.descriptor.digest;
    for (const [type, expected] of [[OVERLAYBD_ARTIFACT_TYPE, images.single.overlaybd], [DADI_ARTIFACT_TYPE, images.single.dadi]] as const) {
      const res = await get(`/v2/${images.repos.single}/referrers/${subject}?artifactType=${encodeURIComponent(type)}&${ns()}`);
      expect(res.status).toBe(200);
      expect(res.headers['oci-filters-applied']).toBe('artifactType');
      expect(json<Index>(res.body).manifests).toEqual([expect.objectContaining({ digest: expected.descriptor.digest, artifactType: type })]);
    }
    const none = await get(`/v2/${images.repos.single}/referrers/${subject}?artifactType=application%2Fvnd.none&${ns()}`);
    expect(json<Index>(none.body).manifests).toEqual([]);
  });

  it('answers an empty index (200, not 404) for a subject without referrers', async () => {
    for (const subject of [images.single.overlaybd.descriptor.digest, `sha256:${'0'.repeat(64)}`]) {
      const res = await get(`/v2/${images.repos.single}/referrers/${subject}?${ns()}`);
      expect(res.status).toBe(200);
      expect(json<Index>(res.body)).toEqual({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });
    }
  });

  it('answers the referrers of each platform manifest of a multi-arch image', async () => {
    const arm = images.multi.arm64;
    const res = await get(`/v2/${images.repos.multi}/referrers/${arm.descriptor.digest}?${ns()}`);
    expect(json<Index>(res.body).manifests.map((m) => m.digest)).toEqual([arm.overlaybd.descriptor.digest]);
  });
});

describe('tag lists from a registry that ignores n and last', () => {
  const all = () => ['alpha', 'Beta', images.single.referrersIndex.tag, 'v1', 'Zeta'];

  it('faces a registry whose own answer is in byte order and ignores n', async () => {
    const direct = await httpRequest('GET', `${registry.url}/v2/${images.repos.single}/tags/list?n=2`);
    const tags = json<{ tags: string[] }>(direct.body).tags;
    expect(tags.length).toBeGreaterThan(2);
    expect(tags).not.toEqual(all());
  });

  it('answers in lexical order', async () => {
    const res = await get(`/v2/${images.repos.single}/tags/list?${ns()}`);
    expect(res.status).toBe(200);
    expect(json<{ tags: string[] }>(res.body).tags).toEqual(all());
  });

  it('pages with n and Link until every tag was seen once', async () => {
    const seen: string[] = [];
    let path: string | undefined = `/v2/${images.repos.single}/tags/list?n=2&${ns()}`;
    for (let pages = 0; path !== undefined; pages++) {
      expect(pages).toBeLessThan(10);
      const res = await get(path);
      const tags = json<{ tags: string[] }>(res.body).tags;
      expect(tags.length).toBeLessThanOrEqual(2);
      seen.push(...tags);
      const link = res.headers.link;
      path = typeof link === 'string' ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined;
    }
    expect(seen).toEqual(all());
  });

  it('answers n=0 with an empty list and no Link', async () => {
    const res = await get(`/v2/${images.repos.single}/tags/list?n=0&${ns()}`);
    expect(res.status).toBe(200);
    expect(json<{ tags: string[] }>(res.body).tags).toEqual([]);
    expect(res.headers.link).toBeUndefined();
  });
});

describe('manifest references that cannot exist', () => {
  it('answers 404 MANIFEST_UNKNOWN without asking the registry', async () => {
    const before = (await registry.accessEntries()).length;
    const res = await get(`/v2/${images.repos.single}/manifests/.INVALID_MANIFEST_NAME?${ns()}`);
    expect(res.status).toBe(404);
    expect(json<{ errors: Array<{ code: string }> }>(res.body).errors[0]?.code).toBe('MANIFEST_UNKNOWN');
    expect((await registry.accessEntries()).length).toBe(before);
  });
});
