import type { BuiltImage, BuiltManifest, BuiltReferrer } from './image-builder';
import { blobFile, buildTestImages, type BuildOptions, type TestImages } from './images';
import type { Descriptor } from './oci-layout';
import { pushBlob, pushManifest } from './push';
import { RegistryClient, type ClientCredentials } from './registry-client';

/** The tag every test image is pushed under. */
export const TEST_TAG = 'v1';

/** Repository names of the pushed images. */
export interface TestRepos {
  single: string;
  multi: string;
  large: string;
}

/** Test content as pushed: the built images plus where they went. */
export interface PushedTestImages extends TestImages {
  repos: TestRepos;
  /** Full references, e.g. `127.0.0.1:PORT/single:v1`. */
  refs: TestRepos;
  /** The client used to push (holds its tokens); reuse it to read back. */
  client: RegistryClient;
}

/** Options for {@link pushTestImages}. */
export interface PushOptions extends BuildOptions {
  /** Prepended to every repository name, e.g. `library/`. Default none. */
  repoPrefix?: string;
}

/** What {@link pushTestImages} needs of a registry; a harness Registry fits. */
export interface PushDestination {
  url: string;
  host: string;
  credentials?: ClientCredentials;
}

async function pushBlobs(client: RegistryClient, images: TestImages, repo: string, blobs: Descriptor[]): Promise<void> {
  for (const d of blobs) await pushBlob(client, repo, blobFile(images, d));
}

const put = (client: RegistryClient, repo: string, ref: string, m: BuiltManifest): Promise<string> =>
  pushManifest(client, repo, ref, m.bytes, m.descriptor.mediaType);

async function pushImage(client: RegistryClient, images: TestImages, repo: string, image: BuiltImage, ref: string): Promise<void> {
  await pushBlobs(client, images, repo, [image.config, ...image.layers]);
  await put(client, repo, ref, image);
}

/** Referrers go up by digest only (untagged), as OCI 1.1 clients push them. */
async function pushReferrer(client: RegistryClient, images: TestImages, repo: string, r: BuiltReferrer): Promise<void> {
  await pushBlobs(client, images, repo, r.blobs);
  await put(client, repo, r.descriptor.digest, r);
}

/**
 * Builds (or loads from cache) the test content and pushes it: `single:v1` with
 * its two referrers and their tag-schema index, `multi:v1` with per-platform and
 * index-level overlaybd referrers and their indexes, and `large:v1` unless
 * `largeMiB` is 0. Subjects are pushed before the manifests that refer to them.
 */
export async function pushTestImages(registry: PushDestination, opts: PushOptions = {}): Promise<PushedTestImages> {
  const images = await buildTestImages(opts);
  const prefix = opts.repoPrefix ?? '';
  const repos: TestRepos = { single: `${prefix}single`, multi: `${prefix}multi`, large: `${prefix}large` };
  const client = new RegistryClient(registry.url, registry.credentials);

  const { single, multi, large } = images;
  await pushImage(client, images, repos.single, single, TEST_TAG);
  await pushReferrer(client, images, repos.single, single.overlaybd);
  await pushReferrer(client, images, repos.single, single.dadi);
  await put(client, repos.single, single.referrersIndex.tag, single.referrersIndex);

  for (const platform of [multi.amd64, multi.arm64]) {
    await pushImage(client, images, repos.multi, platform, platform.descriptor.digest);
  }
  await put(client, repos.multi, TEST_TAG, multi);
  for (const platform of [multi.amd64, multi.arm64]) {
    await pushReferrer(client, images, repos.multi, platform.overlaybd);
    await put(client, repos.multi, platform.referrersIndex.tag, platform.referrersIndex);
  }
  await pushReferrer(client, images, repos.multi, multi.overlaybd);
  await put(client, repos.multi, multi.referrersIndex.tag, multi.referrersIndex);

  if (large) await pushImage(client, images, repos.large, large, TEST_TAG);

  const ref = (repo: string): string => `${registry.host}/${repo}:${TEST_TAG}`;
  return { ...images, repos, refs: { single: ref(repos.single), multi: ref(repos.multi), large: ref(repos.large) }, client };
}
