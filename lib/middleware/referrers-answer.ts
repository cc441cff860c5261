import type { Request, Response } from 'express';
import { MirrorError } from '../errors';
import { readUpstreamBody } from '../http/read-body';
import { relay } from '../http/relay';
import type { Descriptor } from '../oci/descriptor';
import { ManifestFormatError } from '../oci/descriptor';
import { parseIndex } from '../oci/manifest';
import { MAX_MANIFEST_BYTES, MediaType } from '../oci/mediatypes';
import { filterByType } from '../referrers/discover';
import { SourceError } from '../referrers/source';
import type { UpstreamResponse } from '../upstream/exchange';
import { clientPath } from '../upstream/select';
import type { MirrorContext } from './context';
import { sourceOf } from './repository-source';

/** Referrers kept from one tag-schema index (the same bound discovery uses). */
const MAX_REFERRERS = 1000;

/**
 * Answers `GET /v2/<name>/referrers/<digest>` from the upstream's answer to
 * it. An upstream with the referrers API is passed through unchanged. One
 * without it answers 404 (distribution-spec, "Listing Referrers": a registry
 * that supports the API MUST NOT answer 404), and then the mirror answers for
 * it from the referrers tag schema (`<alg>-<hex>`, an index of referrers), as
 * a client would fall back: 200 with an OCI image index, filtered by
 * `artifactType` with `OCI-Filters-Applied: artifactType`, and an empty index
 * when there is no such tag.
 */
export async function answerReferrers(req: Request, res: Response, ctx: MirrorContext, fetch: () => Promise<UpstreamResponse>): Promise<void> {
  const artifactType = artifactTypeFilter(req);
  const upstream = await fetch();
  if (upstream.status !== 404) return relay(upstream, res, { head: false, clientPath: (path) => clientPath(ctx.selection, path) });
  upstream.body.resume();
  const digest = ctx.reference ?? '';
  const source = sourceOf(ctx);
  const tag = digest.replace(':', '-');
  const answer = await source.send({ method: 'GET', path: `/v2/${ctx.repository}/manifests/${tag}`, headers: { accept: MediaType.ociIndex } }, ctx.signal);
  let referrers: Descriptor[] = [];
  if (answer.status === 200) {
    referrers = await readReferrers(answer, ctx);
  } else if (answer.status === 404) {
    answer.body.resume();
  } else {
    // A challenge or a failure of the tag read goes back as the upstream gave it.
    return relay(answer, res, { head: false, clientPath: (path) => clientPath(ctx.selection, path) });
  }
  if (artifactType !== undefined) {
    referrers = await keepType(source, referrers, artifactType, ctx.upstream.host);
    res.setHeader('OCI-Filters-Applied', 'artifactType');
  }
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: referrers }));
  res.status(200).setHeader('Content-Type', MediaType.ociIndex);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/** The `artifactType` query parameter; the spec defines one value. */
function artifactTypeFilter(req: Request): string | undefined {
  const value = req.query.artifactType;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new MirrorError(400, 'UNSUPPORTED', 'the artifactType parameter must appear once, with a value');
  return value;
}

async function readReferrers(answer: UpstreamResponse, ctx: MirrorContext): Promise<Descriptor[]> {
  const bytes = await readUpstreamBody(answer.body, MAX_MANIFEST_BYTES, ctx.upstream.host, ctx.signal);
  const contentType = answer.headers['content-type']?.split(';', 1)[0]?.trim();
  try {
    return parseIndex(bytes, contentType).manifests.slice(0, MAX_REFERRERS);
  } catch (err) {
    if (!(err instanceof ManifestFormatError)) throw err;
    throw new MirrorError(502, 'MANIFEST_INVALID', `upstream ${ctx.upstream.host} holds a referrers tag that is not an image index: ${err.message}`, { cause: err });
  }
}

async function keepType(source: ReturnType<typeof sourceOf>, referrers: Descriptor[], artifactType: string, host: string): Promise<Descriptor[]> {
  try {
    return await filterByType(source, referrers, [artifactType]);
  } catch (err) {
    if (!(err instanceof SourceError || err instanceof ManifestFormatError)) throw err;
    throw new MirrorError(502, 'MANIFEST_INVALID', `upstream ${host}: a referrer's type could not be read: ${err.message}`, { cause: err });
  }
}
