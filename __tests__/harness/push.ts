import crypto from 'node:crypto';
import { RegistryClient } from './registry-client';

/** A blob stored in a file, with its digest and size already known. */
export interface BlobFile {
  path: string;
  digest: string;
  size: number;
}

/** Where to push: a client (keeps its tokens) or a plain base URL for an anonymous registry. */
export type PushTarget = RegistryClient | string;

const clientOf = (target: PushTarget): RegistryClient =>
  typeof target === 'string' ? new RegistryClient(target) : target;

const sha256 = (bytes: Buffer): string => 'sha256:' + crypto.createHash('sha256').update(bytes).digest('hex');

/**
 * Uploads a blob monolithically (distribution-spec "POST then PUT"): POST opens
 * the session, a single PUT with `?digest=` carries the whole body. Skips the
 * upload when HEAD says the blob is already there. Returns the digest.
 */
export async function pushBlob(target: PushTarget, repo: string, source: Buffer | BlobFile): Promise<string> {
  const client = clientOf(target);
  const digest = Buffer.isBuffer(source) ? sha256(source) : source.digest;
  const head = await client.request('HEAD', `/v2/${repo}/blobs/${digest}`);
  if (head.status === 200) return digest;
  // The bodiless POST also obtains push rights before the (unreplayable) file PUT.
  const open = await client.request('POST', `/v2/${repo}/blobs/uploads/`);
  const location = open.headers.location;
  if (open.status !== 202 || location === undefined) {
    throw new Error(`upload to ${repo} not opened: HTTP ${open.status} ${open.body.toString()}`);
  }
  const url = new URL(location, client.baseUrl);
  url.searchParams.set('digest', digest);
  const body = Buffer.isBuffer(source) ? source : { path: source.path, size: source.size };
  const put = await client.request('PUT', url.pathname + url.search, { 'Content-Type': 'application/octet-stream' }, body);
  if (put.status !== 201) throw new Error(`blob ${digest} not stored in ${repo}: HTTP ${put.status} ${put.body.toString()}`);
  return digest;
}

/**
 * PUTs manifest `bytes` unchanged under `ref` (a tag or the digest); the
 * registry stores and serves exactly these bytes. Returns the digest it reports.
 */
export async function pushManifest(target: PushTarget, repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<string> {
  const res = await clientOf(target).request('PUT', `/v2/${repo}/manifests/${ref}`, { 'Content-Type': mediaType }, bytes);
  if (res.status !== 201) throw new Error(`manifest ${repo}:${ref} rejected: HTTP ${res.status} ${res.body.toString()}`);
  const digest = res.headers['docker-content-digest'];
  if (typeof digest !== 'string' || digest !== sha256(bytes)) {
    throw new Error(`manifest ${repo}:${ref} stored as ${String(digest)}, expected ${sha256(bytes)}`);
  }
  return digest;
}
