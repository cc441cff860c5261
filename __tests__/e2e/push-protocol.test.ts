import { createHash } from 'node:crypto';
import { buildTestImages, httpRequest, MediaType, TEST_CREDENTIALS, type TestImages } from '../harness';
import { randomBytes } from '../harness/prng';
import { skopeoCopy, startPushSetup, type PushSetup } from '../helpers/push-mirror';

let setup: PushSetup;
let images: TestImages;

beforeAll(async () => {
  images = await buildTestImages({ largeMiB: 0 });
  setup = await startPushSetup('lifec-push-protocol-');
  await skopeoCopy(`oci:${images.layoutDir}:single-v1`, `docker://127.0.0.1:${setup.mirror.port}/pushed/single:v1`);
}, 300_000);

afterAll(async () => setup?.stop());

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const OCI_ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';
const ns = (): string => `ns=${encodeURIComponent(setup.registry.host)}`;
const mirrorUrl = (pathAndQuery: string): string => `${setup.mirror.url}${pathAndQuery}`;
const errorCode = (body: Buffer): string | undefined => (JSON.parse(body.toString()) as { errors: Array<{ code: string }> }).errors[0]?.code;

/** An OCI manifest of single:v1's config and layers, padded with an annotation to exactly `size` bytes. */
function paddedManifest(size: number): Buffer {
  const shape = (pad: string): Buffer =>
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.manifest, config: images.single.config, layers: images.single.layers, annotations: { pad } }));
  return shape('x'.repeat(size - shape('').length));
}

describe('the upload protocol through the mirror, against a registry only the mirror can write to', () => {
  it('takes a chunked upload (PATCH with Content-Range), keeping the upload state in a mirror-relative Location', async () => {
    const blob = randomBytes('chunked-upload', 3 << 20);
    const opened = await httpRequest('POST', mirrorUrl(`/v2/pushed/chunked/blobs/uploads/?${ns()}`));
    expect(opened.status).toBe(202);
    const uuid = String(opened.headers['docker-upload-uuid']);
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    let location = String(opened.headers.location);
    expect(location.startsWith(`/v2/pushed/chunked/blobs/uploads/${uuid}?_state=`)).toBe(true);
    expect(location.endsWith(`&${ns()}`)).toBe(true);
    let offset = 0;
    for (const chunk of [blob.subarray(0, 1 << 20), blob.subarray(1 << 20)]) {
      const range = `${offset}-${offset + chunk.length - 1}`;
      const patched = await httpRequest('PATCH', mirrorUrl(location), { 'Content-Type': 'application/octet-stream', 'Content-Range': range }, chunk);
      offset += chunk.length;
      expect({ status: patched.status, range: patched.headers.range }).toEqual({ status: 202, range: `0-${offset - 1}` });
      location = String(patched.headers.location);
    }
    const status = await httpRequest('GET', mirrorUrl(location));
    expect({ status: status.status, range: status.headers.range }).toEqual({ status: 204, range: `0-${blob.length - 1}` });
    const closed = await httpRequest('PUT', mirrorUrl(`${location}&digest=${sha256(blob)}`));
    expect({ status: closed.status, digest: closed.headers['docker-content-digest'] }).toEqual({ status: 201, digest: sha256(blob) });
    expect(closed.headers.location).toBe(`/v2/pushed/chunked/blobs/${sha256(blob)}?${ns()}`);
    const back = await httpRequest('GET', mirrorUrl(`/v2/pushed/chunked/blobs/${sha256(blob)}?${ns()}`));
    expect(sha256(back.body)).toBe(sha256(blob));
  });

  it('mounts a blob from another repository with a token that may pull there, and deletes it with a delete token', async () => {
    const layer = images.single.layers[0]!;
    const tokens = setup.registry.token!.server.requests;
    const before = tokens.length;
    const mounted = await httpRequest('POST', mirrorUrl(`/v2/pushed/mounted/blobs/uploads/?mount=${layer.digest}&from=pushed/single&${ns()}`));
    expect({ status: mounted.status, location: mounted.headers.location }).toEqual({ status: 201, location: `/v2/pushed/mounted/blobs/${layer.digest}?${ns()}` });
    expect(tokens.slice(before).map((t) => t.scope)).toContain('repository:pushed/mounted:pull,push repository:pushed/single:pull');
    const deleted = await httpRequest('DELETE', mirrorUrl(`/v2/pushed/mounted/blobs/${layer.digest}?${ns()}`));
    expect(deleted.status).toBe(202);
    expect(tokens.slice(before).map((t) => t.scope)).toContain('repository:pushed/mounted:delete');
  });

  it('cancels an upload', async () => {
    const opened = await httpRequest('POST', mirrorUrl(`/v2/pushed/cancelled/blobs/uploads/?${ns()}`));
    const cancelled = await httpRequest('DELETE', mirrorUrl(String(opened.headers.location)));
    expect(cancelled.status).toBe(204);
    expect((await httpRequest('GET', mirrorUrl(String(opened.headers.location)))).status).toBe(404);
  });

  it('answers the next pull of a tag with the digest just pushed under it, not the cached one', async () => {
    const url = mirrorUrl(`/v2/pushed/single/manifests/v1?${ns()}`);
    const cached = await httpRequest('GET', url, { Accept: OCI_ACCEPT });
    expect(cached.headers['docker-content-digest']).toBe(images.single.descriptor.digest);
    const replacement = paddedManifest(4096);
    const put = await httpRequest('PUT', url, { 'Content-Type': MediaType.manifest }, replacement);
    expect(put.status).toBe(201);
    const after = await httpRequest('GET', url, { Accept: OCI_ACCEPT });
    expect(after.headers['docker-content-digest']).toBe(sha256(replacement));
  });

  it('takes a 4 MiB manifest, refuses a larger one without asking the registry, and deletes by digest', async () => {
    const manifest = paddedManifest(4 << 20);
    const put = await httpRequest('PUT', mirrorUrl(`/v2/pushed/single/manifests/big?${ns()}`), { 'Content-Type': MediaType.manifest }, manifest);
    expect({ status: put.status, digest: put.headers['docker-content-digest'] }).toEqual({ status: 201, digest: sha256(manifest) });
    const seen = (await setup.registry.accessLog()).length;
    const tooBig = await httpRequest('PUT', mirrorUrl(`/v2/pushed/single/manifests/bigger?${ns()}`), { 'Content-Type': MediaType.manifest }, paddedManifest((4 << 20) + 1));
    expect({ status: tooBig.status, code: errorCode(tooBig.body) }).toEqual({ status: 413, code: 'SIZE_INVALID' });
    expect((await setup.registry.accessLog()).length).toBe(seen);
    const deleted = await httpRequest('DELETE', mirrorUrl(`/v2/pushed/single/manifests/${sha256(manifest)}?${ns()}`));
    expect(deleted.status).toBe(202);
    expect((await httpRequest('GET', mirrorUrl(`/v2/pushed/single/manifests/big?${ns()}`), { Accept: OCI_ACCEPT })).status).toBe(404);
  });

  it('pushes with the registry named in the path (/v2/<registry>/<repo>) and answers in that shape', async () => {
    const segment = setup.registry.host.replace(':', '_');
    const opened = await httpRequest('POST', mirrorUrl(`/v2/${segment}/pushed/shaped/blobs/uploads/`));
    expect(opened.status).toBe(202);
    expect(String(opened.headers.location).startsWith(`/v2/${segment}/pushed/shaped/blobs/uploads/`)).toBe(true);
    const blob = Buffer.from('shaped upload');
    const closed = await httpRequest('PUT', mirrorUrl(`${String(opened.headers.location)}&digest=${sha256(blob)}`), { 'Content-Type': 'application/octet-stream' }, blob);
    expect({ status: closed.status, location: closed.headers.location }).toEqual({ status: 201, location: `/v2/${segment}/pushed/shaped/blobs/${sha256(blob)}` });
  });

  it('refuses an upload to a registry it does not declare without contacting anyone', async () => {
    const seen = (await setup.registry.accessLog()).length;
    const tokens = setup.registry.token!.server.requests.length;
    const res = await httpRequest('POST', mirrorUrl('/v2/pushed/x/blobs/uploads/?ns=registry.example.com'));
    expect({ status: res.status, code: errorCode(res.body) }).toEqual({ status: 404, code: 'NAME_UNKNOWN' });
    expect((await setup.registry.accessLog()).length).toBe(seen);
    expect(setup.registry.token!.server.requests.length).toBe(tokens);
  });

  it('keeps the password and every token out of its log', () => {
    const log = setup.mirror.log();
    expect(log).toContain('"method":"PATCH"');
    expect(log).not.toContain(TEST_CREDENTIALS.password);
    expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });
});
