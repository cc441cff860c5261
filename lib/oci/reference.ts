import { MirrorError } from '../errors';

/**
 * Grammar of the OCI distribution spec ("Pulling manifests"): repository
 * names, tags and digests. Everything the mirror forwards upstream passes one
 * of these checks first, so path tricks (`..`, encoded slashes, NUL bytes)
 * never reach an upstream.
 */
const NAME_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${NAME_COMPONENT}(?:/${NAME_COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** Lengths of the encoded hashes of the algorithms the spec registers. */
const HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

/** Docker and Distribution cap a repository name at 255 characters. */
export const MAX_NAME_LENGTH = 255;

export function isValidName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** A digest is valid when it matches the grammar and, for a registered algorithm, is lowercase hex of the right length. */
export function isValidDigest(digest: string): boolean {
  if (!DIGEST.test(digest)) return false;
  const [algorithm, encoded] = digest.split(':', 2) as [string, string];
  const length = HEX_LENGTH[algorithm];
  if (length === undefined) return true;
  return encoded.length === length && /^[a-f0-9]+$/.test(encoded);
}

export function isDigest(reference: string): boolean {
  return reference.includes(':');
}

export function assertName(name: string): void {
  if (!isValidName(name)) {
    throw new MirrorError(400, 'NAME_INVALID', 'invalid repository name', { detail: { name: truncate(name) } });
  }
}

export function assertDigest(digest: string): void {
  if (!isValidDigest(digest)) {
    throw new MirrorError(400, 'DIGEST_INVALID', 'invalid digest', { detail: { digest: truncate(digest) } });
  }
}

/**
 * A manifest reference is a tag or a digest. A malformed digest is the
 * client's mistake (400 `DIGEST_INVALID`); a reference that is neither a tag
 * nor a digest names a manifest that cannot exist, and the spec says a
 * manifest that is not found MUST answer 404 (distribution-spec, "Pulling
 * manifests"; the conformance suite asks for `.INVALID_MANIFEST_NAME`).
 */
export function assertReference(reference: string): 'tag' | 'digest' {
  if (isDigest(reference)) {
    assertDigest(reference);
    return 'digest';
  }
  if (!isValidTag(reference)) {
    throw new MirrorError(404, 'MANIFEST_UNKNOWN', 'manifest unknown: the reference is neither a tag nor a digest', { detail: { reference: truncate(reference) } });
  }
  return 'tag';
}

/**
 * An upload session id, as the registry chose it in its `Location`
 * (Distribution: a UUID; the spec leaves it opaque). One path segment of
 * unreserved characters, so it cannot steer the path forwarded upstream.
 */
const UPLOAD_ID = /^[A-Za-z0-9._~=+-]{1,512}$/;

export function assertUploadId(id: string): void {
  if (!UPLOAD_ID.test(id) || id === '.' || id === '..') {
    throw new MirrorError(404, 'BLOB_UPLOAD_UNKNOWN', 'invalid upload id', { detail: { upload: truncate(id) } });
  }
}

/** Client input echoed in an error stays short. */
function truncate(value: string): string {
  return value.length > 300 ? `${value.slice(0, 300)}…` : value;
}
