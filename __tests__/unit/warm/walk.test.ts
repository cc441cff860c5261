import { walkImage } from '../../../lib/warm/walk';

const digest = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const descriptor = (n: number, mediaType: string, platform?: Record<string, string>) => ({ mediaType, digest: digest(n), size: 100 + n, ...(platform && { platform }) });
const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';

const image = (config: number, layers: number[]) => ({ schemaVersion: 2, mediaType: MANIFEST, config: descriptor(config, 'application/vnd.oci.image.config.v1+json'), layers: layers.map((l) => descriptor(l, LAYER)) });
const manifests: Record<string, unknown> = {
  [digest(1)]: {
    schemaVersion: 2,
    mediaType: INDEX,
    manifests: [
      descriptor(2, MANIFEST, { os: 'linux', architecture: 'amd64' }),
      descriptor(3, MANIFEST, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      descriptor(4, MANIFEST, { os: 'unknown', architecture: 'unknown' }),
    ],
  },
  [digest(2)]: image(5, [7, 8]),
  [digest(3)]: image(6, [7, 9]),
};
const fetched: string[] = [];
const fetch = async (d: string) => {
  fetched.push(d);
  const json = manifests[d];
  if (!json) throw new Error(`no ${d}`);
  return { body: Buffer.from(JSON.stringify(json)), mediaType: (json as { mediaType: string }).mediaType };
};

beforeEach(() => fetched.splice(0));

describe('walking an image to its blobs', () => {
  it('picks the wanted platform of an index, with arm64/v8 matching arm64', async () => {
    const content = await walkImage(digest(1), [{ os: 'linux', architecture: 'arm64' }], fetch);
    expect(content.platforms).toEqual(['linux/arm64/v8']);
    expect(content.blobs.map((b) => [b.kind, b.descriptor.digest])).toEqual([['config', digest(6)], ['layer', digest(7)], ['layer', digest(9)]]);
    expect(fetched).toEqual([digest(1), digest(3)]);
  });

  it('takes every platform with "all", skipping attestations, and lists a shared layer once', async () => {
    const content = await walkImage(digest(1), 'all', fetch);
    expect(content.platforms).toEqual(['linux/amd64', 'linux/arm64/v8']);
    expect(content.blobs.map((b) => b.descriptor.digest)).toEqual([digest(5), digest(7), digest(8), digest(6), digest(9)]);
  });

  it('names the platforms an index has when the wanted one is missing', async () => {
    await expect(walkImage(digest(1), [{ os: 'linux', architecture: 's390x' }], fetch)).rejects.toThrow('no linux/s390x image in the index (it has linux/amd64, linux/arm64/v8)');
  });

  it('walks a single-platform manifest whatever platform is wanted', async () => {
    const content = await walkImage(digest(2), [{ os: 'linux', architecture: 's390x' }], fetch);
    expect(content).toEqual({ platforms: [], blobs: [{ kind: 'config', descriptor: descriptor(5, 'application/vnd.oci.image.config.v1+json') }, { kind: 'layer', descriptor: descriptor(7, LAYER) }, { kind: 'layer', descriptor: descriptor(8, LAYER) }] });
  });
});
