/**
 * The real-component test harness: a CNCF Distribution registry (three auth
 * modes), an in-process token server, deterministic OCI test content and a
 * private containerd. Every start function has a matching stop; call it in afterAll.
 */
export { freePort } from './ports';
export { startProcess, waitUntil, logTail, type ManagedProcess, type StartProcessOptions } from './process';
export { findBinary, isRoot } from './binaries';
export { startRegistry, TEST_CREDENTIALS, type Registry, type RegistryOptions, type Credentials, type AccessLogEntry } from './registry';
export { startTokenServer, type TokenServer, type TokenServerOptions, type TokenRequest, type TokenServerSettings } from './token-server';
export { RegistryClient, parseChallenge, type ClientCredentials } from './registry-client';
export { httpRequest, type HttpResponse } from './http-request';
export { pushBlob, pushManifest, type BlobFile, type PushTarget } from './push';
export { buildTestImages, blobFile, type TestImages, type PlatformImage, type BuildOptions } from './images';
export { pushTestImages, TEST_TAG, type PushedTestImages, type PushOptions, type TestRepos } from './push-images';
export { MediaType, type Descriptor, type Platform } from './oci-layout';
export { OVERLAYBD_ARTIFACT_TYPE, DADI_ARTIFACT_TYPE, OVERLAYBD_ANNOTATION } from './referrers';
export { startContainerd, writeHostsToml, type Containerd, type CtrResult, type PullOptions, type HostsMirror } from './containerd';
export type { BuiltImage, BuiltManifest, BuiltReferrer, ReferrersTagIndex, LayerDescriptor } from './image-builder';
