import { readLimited } from '../http/read-body';
import { verifiesDigest } from '../oci/digest';
import { DEFAULT_MANIFEST_ACCEPT, MAX_MANIFEST_BYTES } from '../oci/mediatypes';
import type { UpstreamRequest, UpstreamResponse } from '../upstream/exchange';

/**
 * One repository of one upstream, seen with the credentials of the request
 * that asks: discovery and teleport reach the registry only through this, so
 * they never open sockets themselves and never talk to another host.
 */
export interface RepositorySource {
  /** The upstream's host as containerd names it (`ns`). */
  readonly registry: string;
  readonly repository: string;
  /** The upstream's origin; a pagination link must stay on it. */
  readonly origin: string;
  send(request: Omit<UpstreamRequest, 'signal'>, signal?: AbortSignal): Promise<UpstreamResponse>;
}

/** A manifest fetched by digest whose bytes hash to that digest. */
export interface VerifiedManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** Why a fetch that discovery or teleport depends on failed; never shown to a client. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
}

/**
 * GETs a manifest by digest and checks its bytes against the digest: a
 * manifest that does not verify is never used, let alone served.
 */
export async function fetchVerifiedManifest(source: RepositorySource, digest: string, signal?: AbortSignal): Promise<VerifiedManifest> {
  const path = `/v2/${source.repository}/manifests/${digest}`;
  const response = await source.send({ method: 'GET', path, headers: { accept: DEFAULT_MANIFEST_ACCEPT } }, signal);
  if (response.status !== 200) {
    response.body.resume();
    throw new SourceError(`manifest ${digest} answered ${response.status}`);
  }
  const bytes = await readLimited(response.body, MAX_MANIFEST_BYTES);
  if (!verifiesDigest(bytes, digest)) throw new SourceError(`manifest ${digest} does not match its digest`);
  const contentType = response.headers['content-type']?.split(';', 1)[0]?.trim() ?? '';
  return { digest, mediaType: contentType, bytes };
}
