import type { Request } from 'express';
import { MirrorError } from '../errors';
import { assertDigest, assertName, assertUploadId } from '../oci/reference';
import { upstreamRepository, type Selection } from '../upstream/select';

/**
 * Checks what an upload request forwards besides its path (distribution-spec,
 * "Pushing blobs"): the upload id the registry chose, `digest` (monolithic
 * POST, closing PUT) and `mount` (cross-repository mount; its `from` is read
 * by {@link mountSource}). Other query parameters, such as Distribution's
 * `_state`, are the registry's own and go back to it untouched.
 */
export function checkUpload(req: Request, id: string | undefined): void {
  if (id !== undefined) assertUploadId(id);
  const digest = single(req, 'digest');
  if (digest !== undefined) assertDigest(digest);
  const mount = single(req, 'mount');
  if (mount !== undefined) assertDigest(mount);
}

/**
 * The repository on the upstream a cross-repository mount
 * (`POST ?mount=<digest>&from=<name>`) takes the blob from. The client names
 * it as it names repositories: with the registry in front when it put the
 * registry in the path (`/v2/<registry>/<repo>`), Docker Hub single names
 * without `library/`.
 */
export function mountSource(req: Request, selection: Selection): string | undefined {
  const from = req.method === 'POST' && single(req, 'mount') !== undefined ? single(req, 'from') : undefined;
  if (from === undefined) return undefined;
  const name = selection.shape === 'path' && from.startsWith(`${selection.segment}/`) ? from.slice(`${selection.segment}/`.length) : from;
  const repository = upstreamRepository(selection.upstream, name);
  assertName(repository);
  return repository;
}

function single(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new MirrorError(400, 'BLOB_UPLOAD_INVALID', `the ${name} parameter must appear once`);
  return value;
}

/**
 * The client's query as it came, without the mirror's `ns` and with `from`
 * set to the upstream's name: opaque upload state (`_state=…`) keeps its
 * exact bytes instead of a decode/encode trip.
 */
export function upstreamQuery(url: string, from?: string): string {
  const mark = url.indexOf('?');
  if (mark < 0) return '';
  const kept = url
    .slice(mark + 1)
    .split('&')
    .filter((pair) => pair !== '' && decodedName(pair) !== 'ns')
    .map((pair) => (from !== undefined && decodedName(pair) === 'from' ? `from=${encodeURIComponent(from).replaceAll('%2F', '/')}` : pair));
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
