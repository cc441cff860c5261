import { parseIndex } from '../../../lib/oci/manifest';
import { rewriteIndex } from '../../../lib/teleport/rewrite';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const digest = (n: string) => `sha256:${n.repeat(64)}`;

describe('rewriteIndex', () => {
  it('replaces the chosen entries, keeps their platform and leaves the rest as sent', () => {
    const original = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: MANIFEST, digest: digest('a'), size: 1, platform: { os: 'linux', architecture: 'amd64' }, annotations: { x: 'y' } },
        { mediaType: MANIFEST, digest: digest('b'), size: 2, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, extra: true },
      ],
      annotations: { 'org.example': '1' },
    };
    const index = parseIndex(Buffer.from(JSON.stringify(original)));
    const bytes = rewriteIndex(index, new Map([[0, { mediaType: MANIFEST, digest: digest('c'), size: 3, artifactType: 'a/b' }]]));
    expect(JSON.parse(bytes.toString())).toEqual({
      ...original,
      manifests: [
        { mediaType: MANIFEST, digest: digest('c'), size: 3, platform: { os: 'linux', architecture: 'amd64' }, artifactType: 'a/b' },
        original.manifests[1],
      ],
    });
  });
});
