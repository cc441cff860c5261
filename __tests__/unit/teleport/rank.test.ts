import type { Descriptor } from '../../../lib/oci/descriptor';
import { ArtifactType, TELEPORT_FORMATS } from '../../../lib/teleport/formats';
import { rankCandidates } from '../../../lib/teleport/pick';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const d = (n: string, extra: Partial<Descriptor> = {}): Descriptor => ({ mediaType: MANIFEST, digest: `sha256:${n.repeat(64)}`, size: 100, ...extra });
const overlaybd = TELEPORT_FORMATS.get('overlaybd');
const azure = TELEPORT_FORMATS.get('azure-streaming');
if (!overlaybd || !azure) throw new Error('formats missing');

describe('rankCandidates', () => {
  it('prefers native overlaybd over dadi and drops other types', () => {
    const ranked = rankCandidates(overlaybd, [
      d('1', { artifactType: ArtifactType.dadi }),
      d('2', { artifactType: 'application/vnd.example.sbom' }),
      d('3', { artifactType: ArtifactType.overlaybdNative }),
    ]);
    expect(ranked.map((c) => c.referrer.digest)).toEqual([d('3').digest, d('1').digest]);
  });

  it('skips referrers that are not image manifests', () => {
    const ranked = rankCandidates(overlaybd, [d('1', { artifactType: ArtifactType.overlaybdNative, mediaType: 'application/vnd.oci.image.index.v1+json' })]);
    expect(ranked).toEqual([]);
  });

  it('among equal types prefers the newest', () => {
    const created = (t: string) => ({ 'org.opencontainers.image.created': t });
    const ranked = rankCandidates(overlaybd, [
      d('1', { artifactType: ArtifactType.overlaybdNative, annotations: created('2024-01-01T00:00:00Z') }),
      d('2', { artifactType: ArtifactType.overlaybdNative, annotations: created('2025-01-01T00:00:00Z') }),
    ]);
    expect(ranked[0]?.referrer.digest).toBe(d('2').digest);
  });

  it('keeps ACR streaming referrers of the wanted platform and overlaybd format only', () => {
    const annotations = (arch: string, format = 'overlaybd') => ({ 'streaming.format': format, 'streaming.platform.os': 'linux', 'streaming.platform.arch': arch });
    const ranked = rankCandidates(azure, [
      d('1', { artifactType: ArtifactType.azureStreaming, annotations: annotations('arm64') }),
      d('2', { artifactType: ArtifactType.azureStreaming, annotations: annotations('amd64', 'nydus') }),
      d('3', { artifactType: ArtifactType.azureStreaming, annotations: annotations('x86_64') }),
    ], { os: 'linux', architecture: 'amd64' });
    expect(ranked.map((c) => c.referrer.digest)).toEqual([d('3').digest]);
  });

  it('follows an ACR streaming link to the manifest its annotations name', () => {
    const target = d('9');
    const link = d('1', {
      artifactType: ArtifactType.azureStreamingLink,
      annotations: { 'streaming.mediaType': MANIFEST, 'streaming.digest': target.digest, 'streaming.size': '100', 'streaming.format': 'overlaybd' },
    });
    expect(rankCandidates(azure, [link])).toEqual([{ referrer: link, target }]);
  });

  it('ignores a link whose annotations do not form a descriptor', () => {
    const link = d('1', { artifactType: ArtifactType.azureStreamingLink, annotations: { 'streaming.mediaType': MANIFEST, 'streaming.digest': 'sha256:zz', 'streaming.size': '100' } });
    expect(rankCandidates(azure, [link])).toEqual([]);
  });
});
