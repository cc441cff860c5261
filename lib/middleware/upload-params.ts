import type { Request } from 'express';
import { MirrorError } from '../errors';
import { assertDigest, assertName, assertUploadId } from '../oci/reference';

/**
 * Checks what an upload request forwards besides its path (distribution-spec,
 * "Pushing blobs"): the upload id the registry chose, `digest` (monolithic
 * POST, closing PUT), and `mount` / `from` (cross-repository mount). Other
 * query parameters, such as Distribution's `_state`, are the registry's own
 * and go back to it untouched.
 */
export function checkUpload(req: Request, id: string | undefined): void {
  if (id !== undefined) assertUploadId(id);
  const digest = single(req, 'digest');
  if (digest !== undefined) assertDigest(digest);
  const mount = single(req, 'mount');
  if (mount !== undefined) assertDigest(mount);
  const from = single(req, 'from');
  if (from !== undefined) assertName(from);
}

/** The repository a cross-repository mount (`POST ?mount=<digest>&from=<name>`) takes the blob from. */
export function mountSource(req: Request): string | undefined {
  if (req.method !== 'POST' || single(req, 'mount') === undefined) return undefined;
  return single(req, 'from');
}

function single(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new MirrorError(400, 'BLOB_UPLOAD_INVALID', `the ${name} parameter must appear once`);
  return value;
}

/**
 * The client's query as it came, without the mirror's `ns`: opaque upload
 * state (`_state=…`) keeps its exact bytes instead of a decode/encode trip.
 */
export function rawQueryWithout(url: string, name: string): string {
  const mark = url.indexOf('?');
  if (mark < 0) return '';
  const kept = url
    .slice(mark + 1)
    .split('&')
    .filter((pair) => pair !== '' && decodedName(pair) !== name);
  return kept.length > 0 ? `?${kept.join('&')}` : '';
}

function decodedName(pair: string): string {
  const raw = pair.split('=', 1)[0] ?? '';
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}
