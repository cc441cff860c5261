import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addImage, addManifest, addReferrersIndex, subjectOf, type BuiltImage, type BuiltManifest, type BuiltReferrer, type ReferrersTagIndex } from './image-builder';
import { MediaType, OciLayout, type Descriptor, type Platform } from './oci-layout';
import type { BlobFile } from './push';
import { randomBytes, randomStream } from './prng';
import { addDadiReferrer, addOverlaybdIndexReferrer, addOverlaybdReferrer } from './referrers';

/** Bump when the content changes, so stale caches are not reused. */
const CONTENT_VERSION = 1;

/** One platform image of multi:v1 with its own overlaybd referrer. */
export interface PlatformImage extends BuiltImage {
  platform: Platform;
  overlaybd: BuiltReferrer;
  referrersIndex: ReferrersTagIndex;
}

/** Every piece of test content, with digests, sizes, media types and exact bytes. */
export interface TestImages {
  /** The OCI image layout directory holding every blob. */
  layoutDir: string;
  /** linux/amd64, a small text layer and an app layer with 1 MiB of random data. */
  single: BuiltImage & {
    overlaybd: BuiltReferrer;
    dadi: BuiltReferrer;
    /** Tag-schema index listing both referrers. */
    referrersIndex: ReferrersTagIndex;
  };
  /** OCI index of linux/amd64 and linux/arm64/v8 sharing the base layer. */
  multi: BuiltManifest & {
    amd64: PlatformImage;
    arm64: PlatformImage;
    /** Index-level overlaybd referrer listing both platforms' referrers. */
    overlaybd: BuiltReferrer;
    referrersIndex: ReferrersTagIndex;
  };
  /** Base layer plus one gzip layer of `largeMiB` MiB random data; absent when largeMiB is 0. */
  large?: BuiltImage & { largeMiB: number };
}

/** Options for {@link buildTestImages}. */
export interface BuildOptions {
  /** Size of the large image's big layer payload in MiB; 0 skips it. Default 64. */
  largeMiB?: number;
  /** Cache root; default os.tmpdir(). */
  cacheRoot?: string;
}

const AMD64: Platform = { architecture: 'amd64', os: 'linux' };
const ARM64: Platform = { architecture: 'arm64', os: 'linux', variant: 'v8' };

function baseLayer(layout: OciLayout) {
  return layout.addLayer([
    { name: 'bin/' },
    { name: 'bin/hello', mode: 0o755, content: Buffer.from('#!/bin/sh\necho hello from lifec-mirror tests\n') },
    { name: 'etc/' },
    { name: 'etc/os-release', content: Buffer.from('NAME=lifec-test\nVERSION=1\n') },
  ]);
}

function buildPlatform(layout: OciLayout, platform: Platform, base: ReturnType<typeof baseLayer>) {
  const archLayer = layout.addLayer([{ name: 'etc/' }, { name: 'etc/lifec-arch', content: Buffer.from(`${platform.architecture}\n`) }]);
  const image = addImage(layout, platform, [base, archLayer]);
  const descriptor: Descriptor = { ...image.descriptor, platform };
  const overlaybd = addOverlaybdReferrer(layout, descriptor, platform, `overlaybd-${platform.architecture}`);
  return { ...image, descriptor, platform, overlaybd, referrersIndex: addReferrersIndex(layout, descriptor, [overlaybd]) };
}

async function build(dir: string, largeMiB: number): Promise<TestImages> {
  const layout = new OciLayout(dir);
  const base = baseLayer(layout);
  const files = Array.from({ length: 16 }, (_, i) => ({ name: `app/file${String(i + 1).padStart(2, '0')}.txt`, content: Buffer.from(`file ${i + 1}\n`) }));
  const app = layout.addLayer([{ name: 'app/' }, ...files, { name: 'app/blob.bin', content: randomBytes('single-app', 1 << 20) }]);
  const singleImage = addImage(layout, AMD64, [base, app]);
  const overlaybd = addOverlaybdReferrer(layout, singleImage.descriptor, AMD64, 'overlaybd-single');
  const dadi = addDadiReferrer(layout, singleImage.descriptor);
  const single = { ...singleImage, overlaybd, dadi, referrersIndex: addReferrersIndex(layout, singleImage.descriptor, [overlaybd, dadi]) };

  const amd64 = buildPlatform(layout, AMD64, base);
  const arm64 = buildPlatform(layout, ARM64, base);
  const index = addManifest(layout, { schemaVersion: 2, mediaType: MediaType.index, manifests: [amd64.descriptor, arm64.descriptor] });
  const multiReferrer = addOverlaybdIndexReferrer(layout, index.descriptor, [
    { platform: AMD64, referrer: amd64.overlaybd },
    { platform: ARM64, referrer: arm64.overlaybd },
  ]);
  const multi = { ...index, amd64, arm64, overlaybd: multiReferrer, referrersIndex: addReferrersIndex(layout, index.descriptor, [multiReferrer]) };

  let large: TestImages['large'];
  if (largeMiB > 0) {
    const big = await layout.addStreamedLayer('random.bin', largeMiB << 20, randomStream('large', largeMiB << 20));
    large = { ...addImage(layout, AMD64, [base, big]), largeMiB };
  }
  layout.writeIndex({
    'single-v1': single.descriptor,
    'multi-v1': multi.descriptor,
    ...(large && { 'large-v1': large.descriptor }),
    [`single-${single.referrersIndex.tag}`]: single.referrersIndex.descriptor,
  });
  return { layoutDir: dir, single, multi, large };
}

const DESCRIPTION = 'test-images.json';

/** Buffers survive the JSON round trip as base64 strings tagged with this prefix. */
const encode = (_key: string, value: unknown): unknown =>
  value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer'
    ? `base64:${Buffer.from((value as { data: number[] }).data).toString('base64')}`
    : value;
const decode = (_key: string, value: unknown): unknown =>
  typeof value === 'string' && value.startsWith('base64:') ? Buffer.from(value.slice(7), 'base64') : value;

/**
 * Builds the deterministic test content as an OCI image layout, or reuses the
 * copy cached under `<tmp>/lifec-mirror-test-images-<version>/`. Concurrent jest
 * workers each build into a private directory and rename it into place; the
 * first rename wins and the others use its result.
 */
export async function buildTestImages(opts: BuildOptions = {}): Promise<TestImages> {
  const largeMiB = opts.largeMiB ?? 64;
  // zlib's version is part of the key: another zlib may compress to other bytes. The
  // uid is too, so root's cache (0700 from mkdtemp) never blocks a normal user's run.
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const key = `${CONTENT_VERSION}-zlib${process.versions.zlib}-u${uid}`;
  const root = path.join(opts.cacheRoot ?? os.tmpdir(), `lifec-mirror-test-images-${key}`);
  const dir = path.join(root, `large-${largeMiB}mib`);
  const description = path.join(dir, DESCRIPTION);
  if (!fs.existsSync(description)) {
    fs.mkdirSync(root, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(root, '.build-'));
    try {
      const images = await build(tmp, largeMiB);
      fs.writeFileSync(path.join(tmp, DESCRIPTION), JSON.stringify({ ...images, layoutDir: undefined }, encode));
      fs.renameSync(tmp, dir);
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!fs.existsSync(description)) throw err;
    }
  }
  const images = JSON.parse(fs.readFileSync(description, 'utf8'), decode) as TestImages;
  return { ...images, layoutDir: dir };
}

/** The file holding blob `d` in the layout, for {@link pushBlob}. */
export function blobFile(images: TestImages, d: Descriptor): BlobFile {
  return { path: path.join(images.layoutDir, 'blobs', 'sha256', d.digest.replace(/^sha256:/, '')), digest: d.digest, size: d.size };
}
