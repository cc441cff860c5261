import { ManifestFormatError } from '../../../lib/oci/descriptor';
import { artifactTypeOf, parseIndex, parseManifest } from '../../../lib/oci/manifest';

const D = (n: string) => `sha256:${n.repeat(64).slice(0, 64)}`;
const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const manifest = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D('a'), size: 10 },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: D('b'), size: 20, annotations: { k: 'v' } }],
  subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D('c'), size: 30 },
};

describe('parseManifest', () => {
  it('reads an image manifest with subject and layers', () => {
    const parsed = parseManifest(json(manifest));
    expect(parsed.kind).toBe('manifest');
    if (parsed.kind !== 'manifest') return;
    expect(parsed.subject?.digest).toBe(D('c'));
    expect(parsed.layers[0]?.annotations).toEqual({ k: 'v' });
  });

  it('reads an index and keeps the raw JSON', () => {
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ ...manifest.subject, platform: { os: 'linux', architecture: 'amd64' } }], extra: 1 };
    const parsed = parseIndex(json(index));
    expect(parsed.manifests[0]?.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsed.raw.extra).toBe(1);
  });

  it.each([
    ['not JSON', Buffer.from('<html>'), 'not JSON'],
    ['an array', json([1]), 'not a JSON object'],
    ['schemaVersion 1', json({ ...manifest, schemaVersion: 1 }), 'schemaVersion'],
    ['a bad digest', json({ ...manifest, config: { ...manifest.config, digest: 'sha256:xyz' } }), 'invalid digest'],
    ['a negative size', json({ ...manifest, layers: [{ ...manifest.config, size: -1 }] }), 'invalid size'],
    ['a non-string annotation', json({ ...manifest, annotations: { a: 1 } }), 'is not a string'],
  ])('rejects %s', (_name, bytes, message) => {
    expect(() => parseManifest(bytes)).toThrow(ManifestFormatError);
    expect(() => parseManifest(bytes)).toThrow(message);
  });

  it('rejects a body whose mediaType disagrees with its Content-Type', () => {
    expect(() => parseManifest(json(manifest), 'application/vnd.oci.image.index.v1+json')).toThrow('served as');
  });

  it('refuses an image manifest where an index is required', () => {
    expect(() => parseIndex(json(manifest))).toThrow('expected an image index');
  });

  it('takes the artifact type from the descriptor, else the manifest, else its config media type', () => {
    const parsed = parseManifest(json(manifest));
    if (parsed.kind !== 'manifest') throw new Error('expected a manifest');
    expect(artifactTypeOf({ ...manifest.subject, artifactType: 'x/y' }, parsed)).toBe('x/y');
    expect(artifactTypeOf(manifest.subject, parsed)).toBe('application/vnd.oci.image.config.v1+json');
    expect(artifactTypeOf(manifest.subject)).toBeUndefined();
  });
});
