import { createHash } from 'node:crypto';
import { OCI_INDEX, ReferrersRegistry, type TestDescriptor } from '../helpers/referrers-upstream';
import { TeleportMirrors } from '../helpers/teleport-mirror';

const NATIVE = 'application/vnd.containerd.overlaybd.native.v1+json';
const STREAMING = 'application/vnd.azure.artifact.streaming.v1';
const LINK = 'application/vnd.azure.artifact.streaming.link.v1';
const AMD64 = { os: 'linux', architecture: 'amd64' };
const ARM64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

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

interface Multi { index: TestDescriptor; amd64: TestDescriptor; arm64: TestDescriptor; streamAmd64: TestDescriptor; streamArm64: TestDescriptor }

/** multi:v1, an index of amd64 and arm64/v8, each with an overlaybd referrer. */
function multiImage(repo: string): Multi {
  const amd64 = registry.image(repo);
  const arm64 = registry.image(repo);
  const index = registry.put(repo, {
    schemaVersion: 2, mediaType: OCI_INDEX,
    manifests: [{ ...amd64, platform: AMD64 }, { ...arm64, platform: ARM64 }],
    annotations: { 'org.example.kept': 'yes' },
  }, 'v1');
  return { index, amd64, arm64, streamAmd64: registry.referrer(repo, amd64, NATIVE), streamArm64: registry.referrer(repo, arm64, NATIVE) };
}

type Entry = TestDescriptor & { platform: typeof AMD64 };

describe('.teleport of an image index', () => {
  it('replaces the entry of the configured platform and serves the new index by digest from memory', async () => {
    const repo = mirrors.freshRepo();
    const m = multiImage(repo);
    const { app } = mirrors.app(['.teleport overlaybd linux/amd64']);
    const res = await mirrors.get(app, repo, 'v1');
    expect(res.status).toBe(200);
    const body = res.body as Buffer;
    expect(res.headers['docker-content-digest']).toBe(sha256(body));
    expect(res.headers['content-type']).toBe(OCI_INDEX);
    expect(res.headers['lifec-teleport']).toBe(`overlaybd; from=${m.index.digest}; platforms=linux/amd64`);
    const served = JSON.parse(body.toString()) as { manifests: Entry[]; annotations: Record<string, string> };
    expect(served.annotations).toEqual({ 'org.example.kept': 'yes' });
    expect(served.manifests).toEqual([
      { mediaType: m.streamAmd64.mediaType, digest: m.streamAmd64.digest, size: m.streamAmd64.size, platform: AMD64, artifactType: NATIVE },
      { ...m.arm64, platform: ARM64 },
    ]);

    const headRes = await mirrors.head(app, repo, 'v1');
    for (const name of ['docker-content-digest', 'content-type', 'content-length', 'lifec-teleport']) expect(headRes.headers[name]).toBe(res.headers[name]);

    // containerd fetches the resolved digest next; the registry has never seen it.
    const byDigest = await mirrors.get(app, repo, sha256(body));
    expect(byDigest.status).toBe(200);
    expect((byDigest.body as Buffer).equals(body)).toBe(true);
    expect(byDigest.headers['docker-content-digest']).toBe(sha256(body));
    const headByDigest = await mirrors.head(app, repo, sha256(body));
    expect(headByDigest.headers['content-length']).toBe(String(body.length));
    // The access check for it went to the upstream as a HEAD of the original index.
    expect(registry.seen()).toContain(`HEAD /v2/${repo}/manifests/${m.index.digest}`);
  });

  it('replaces every platform with all-platforms', async () => {
    const repo = mirrors.freshRepo();
    const m = multiImage(repo);
    const { app } = mirrors.app(['.teleport overlaybd all-platforms']);
    const res = await mirrors.head(app, repo, 'v1');
    expect(res.headers['lifec-teleport']).toBe(`overlaybd; from=${m.index.digest}; platforms=linux/amd64,linux/arm64/v8`);
    const full = await mirrors.get(app, repo, res.headers['docker-content-digest'] ?? '');
    const served = JSON.parse((full.body as Buffer).toString()) as { manifests: Entry[] };
    expect(served.manifests.map((e) => e.digest)).toEqual([m.streamAmd64.digest, m.streamArm64.digest]);
  });

  it('serves the index unchanged when no entry of the platform has a referrer', async () => {
    const repo = mirrors.freshRepo();
    const m = multiImage(repo);
    const { app } = mirrors.app(['.teleport overlaybd linux/s390x']);
    mirrors.expectServed(await mirrors.get(app, repo, 'v1'), repo, m.index);
  });

  it('answers 404 for a produced digest the upstream no longer authorizes (original gone)', async () => {
    const repo = mirrors.freshRepo();
    const m = multiImage(repo);
    const { app } = mirrors.app(['.teleport overlaybd linux/amd64']);
    const res = await mirrors.head(app, repo, 'v1');
    registry.behaviour.missing.add(m.index.digest);
    expect((await mirrors.get(app, repo, res.headers['docker-content-digest'] ?? '')).status).toBe(404);
  });
});

/** The converter's index referrer of m.index (`convertor --referrer`): the converted manifests, with `subject` = `subject`. */
function convertedIndex(repo: string, m: Multi, subject: TestDescriptor = m.index, manifests = [{ ...m.streamAmd64, platform: AMD64 }, { ...m.streamArm64, platform: ARM64 }]): TestDescriptor {
  const converted = registry.put(repo, {
    schemaVersion: 2, mediaType: OCI_INDEX, artifactType: NATIVE,
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    manifests,
  });
  registry.list(repo, m.index.digest, { ...converted, artifactType: NATIVE });
  return converted;
}

describe('.teleport of an index with a converted index attached', () => {
  it('answers all-platforms with the converted index as it is, which the registry serves by digest', async () => {
    const repo = mirrors.freshRepo();
    const m = multiImage(repo);
    const converted = convertedIndex(repo, m);
    const { app } = mirrors.app(['.teleport overlaybd all-platforms']);
    const res = await mirrors.get(app, repo, 'v1');
    expect(res.status).toBe(200);
    expect((res.body as Buffer).equals(registry.bytesOf(repo, converted.digest))).toBe(true);
    expect(res.headers['docker-content-digest']).toBe(converted.digest);
    expect(res.headers['lifec-teleport']).toBe(`overlaybd; from=${m.index.digest}; converted index`);
    const headRes = await mirrors.head(app, repo, 'v1');
    for (const name of ['docker-content-digest', 'content-type', 'content-length', 'lifec-teleport']) expect(headRes.headers[name]).toBe(res.headers[name]);
    // Nothing produced: the fetch by digest goes to the registry, and no per-platform lookups were needed.
    const byDigest = await mirrors.get(app, repo, converted.digest);
    expect((byDigest.body as Buffer).equals(registry.bytesOf(repo, converted.digest))).toBe(true);
    expect(registry.seen()).toContain(`GET /v2/${repo}/manifests/${converted.digest}`);
    expect(registry.seen().filter((r) => r.includes(`/referrers/${m.amd64.digest}`))).toEqual([]);
  });

  it('reads the original index once for a burst of HEADs, concurrent or not', async () => {
    const repo = mirrors.freshRepo();
    const m = multiImage(repo);
    const converted = convertedIndex(repo, m);
    const { app } = mirrors.app(['.teleport overlaybd all-platforms']);
    const concurrent = await Promise.all([1, 2, 3, 4].map(() => mirrors.head(app, repo, 'v1')));
    for (const res of [...concurrent, await mirrors.head(app, repo, 'v1')]) expect(res.headers['docker-content-digest']).toBe(converted.digest);
    expect(registry.seen().filter((r) => r === `GET /v2/${repo}/manifests/${m.index.digest}`)).toHaveLength(1);
  });

  it('does not count a build attestation entry as a platform the converted index must hold', async () => {
    const repo = mirrors.freshRepo();
    const amd64 = registry.image(repo);
    const attestation = registry.image(repo);
    const index = registry.put(repo, {
      schemaVersion: 2, mediaType: OCI_INDEX,
      manifests: [
        { ...amd64, platform: AMD64 },
        { ...attestation, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd64.digest } },
      ],
    }, 'v1');
    const streamAmd64 = registry.referrer(repo, amd64, NATIVE);
    const converted = registry.put(repo, {
      schemaVersion: 2, mediaType: OCI_INDEX, artifactType: NATIVE,
      subject: { mediaType: index.mediaType, digest: index.digest, size: index.size },
      manifests: [{ ...streamAmd64, platform: AMD64 }],
    });
    registry.list(repo, index.digest, { ...converted, artifactType: NATIVE });
    const { app } = mirrors.app(['.teleport overlaybd all-platforms']);
    const res = await mirrors.head(app, repo, 'v1');
    expect(res.headers['docker-content-digest']).toBe(converted.digest);
    expect(res.headers['lifec-teleport']).toBe(`overlaybd; from=${index.digest}; converted index`);
  });

  it('still rewrites the index for a single platform', async () => {
    const repo = mirrors.freshRepo();
    const m = multiImage(repo);
    convertedIndex(repo, m);
    const { app } = mirrors.app(['.teleport overlaybd linux/arm64']);
    const res = await mirrors.head(app, repo, 'v1');
    expect(res.headers['lifec-teleport']).toBe(`overlaybd; from=${m.index.digest}; platforms=linux/arm64/v8`);
  });

  it('ignores a converted index that lacks a platform of the original, and rewrites instead', async () => {
    const repo = mirrors.freshRepo();
    const m = multiImage(repo);
    convertedIndex(repo, m, m.index, [{ ...m.streamAmd64, platform: AMD64 }]);
    const { app } = mirrors.app(['.teleport overlaybd all-platforms']);
    const res = await mirrors.head(app, repo, 'v1');
    expect(res.headers['lifec-teleport']).toBe(`overlaybd; from=${m.index.digest}; platforms=linux/amd64,linux/arm64/v8`);
  });

  it('ignores a converted index whose subject is another index, and rewrites instead', async () => {
    const repo = mirrors.freshRepo();
    const m = multiImage(repo);
    const other = registry.put(repo, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
    convertedIndex(repo, m, other);
    const { app } = mirrors.app(['.teleport overlaybd all-platforms']);
    const res = await mirrors.head(app, repo, 'v1');
    expect(res.headers['lifec-teleport']).toBe(`overlaybd; from=${m.index.digest}; platforms=linux/amd64,linux/arm64/v8`);
  });
});

describe('.teleport azure-streaming', () => {
  const annotations = (arch: string) => ({ 'streaming.format': 'overlaybd', 'streaming.platform.os': 'linux', 'streaming.platform.arch': arch });

  it('answers with the ACR streaming referrer of the configured platform', async () => {
    const repo = mirrors.freshRepo();
    const image = registry.image(repo, {}, 'v1');
    registry.referrer(repo, image, STREAMING, annotations('arm64'));
    const streamable = registry.referrer(repo, image, STREAMING, annotations('amd64'));
    const { app } = mirrors.app(['.teleport azure-streaming linux/amd64']);
    const res = await mirrors.get(app, repo, 'v1');
    mirrors.expectServed(res, repo, streamable);
    expect(res.headers['lifec-teleport']).toBe(`azure-streaming; from=${image.digest}`);
  });

  it('follows a streaming link to the manifest its annotations name, reading them from the link when the list omits them', async () => {
    const repo = mirrors.freshRepo();
    const image = registry.image(repo, {}, 'v1');
    const target = registry.image(repo);
    registry.referrer(repo, image, LINK, {
      'streaming.format': 'overlaybd', 'streaming.mediaType': target.mediaType, 'streaming.digest': target.digest, 'streaming.size': String(target.size),
    });
    registry.behaviour.bareDescriptors = true;
    const { app } = mirrors.app(['.teleport azure-streaming']);
    mirrors.expectServed(await mirrors.get(app, repo, 'v1'), repo, target);
  });
});

describe('bad referrers never fail the pull', () => {
  function single(repo: string) {
    const image = registry.image(repo, {}, 'v1');
    return { image, streamable: registry.referrer(repo, image, NATIVE) };
  }

  it.each([
    ['a referrers answer that is not JSON', 'not-json', 'not JSON'],
    ['a referrers answer of the wrong media type', 'wrong-media-type', 'not an OCI image index'],
    ['a referrers API answering 500', '500', 'answered 500'],
    ['a referrers API that never answers', 'hang', 'did not answer'],
  ] as const)('serves the original for %s and logs why', async (_name, api, reason) => {
    const repo = mirrors.freshRepo();
    const { image } = single(repo);
    registry.behaviour.api = api;
    const { app, log } = mirrors.app(['.teleport overlaybd']);
    mirrors.expectServed(await mirrors.get(app, repo, 'v1'), repo, image);
    expect(log()).toContain('referrers discovery failed');
    expect(log()).toContain(reason);
    expect(await mirrors.metricsText()).toContain('lifec_teleports_total{outcome="failed"} 1');
  });

  it('serves the original when the referrer manifest is missing', async () => {
    const repo = mirrors.freshRepo();
    const { image, streamable } = single(repo);
    registry.behaviour.missing.add(streamable.digest);
    const { app, log } = mirrors.app(['.teleport overlaybd']);
    mirrors.expectServed(await mirrors.get(app, repo, 'v1'), repo, image);
    expect(log()).toContain('answered 404');
  });

  it('never serves a referrer whose bytes do not match its digest, on GET or HEAD', async () => {
    const repo = mirrors.freshRepo();
    const { image, streamable } = single(repo);
    registry.behaviour.tampered.add(streamable.digest);
    const { app, log } = mirrors.app(['.teleport overlaybd']);
    mirrors.expectServed(await mirrors.get(app, repo, 'v1'), repo, image);
    expect((await mirrors.head(app, repo, 'v1')).headers['docker-content-digest']).toBe(image.digest);
    expect(log()).toContain('does not match its digest');
  });

  it('skips a referrer whose subject is another manifest (a stale tag-schema index)', async () => {
    const repo = mirrors.freshRepo();
    const image = registry.image(repo, {}, 'v1');
    const other = registry.image(repo);
    const foreign = registry.image(repo, { artifactType: NATIVE, subject: other });
    registry.list(repo, image.digest, { ...foreign, artifactType: NATIVE });
    const { app, log } = mirrors.app(['.teleport overlaybd']);
    mirrors.expectServed(await mirrors.get(app, repo, 'v1'), repo, image);
    expect(log()).toContain(`refers to ${other.digest}`);
  });
});
