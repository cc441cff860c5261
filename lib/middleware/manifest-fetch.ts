import type { Request } from 'express';
import type { MirrorContext } from './context';
import { MirrorError } from '../errors';
import { forwardHeaders } from './forward';
import { readUpstreamBody } from '../http/read-body';
import type { ResolvedManifest } from '../oci/resolved-manifest';
import { sha256Digest, verifiesDigest } from '../oci/digest';
import { Header, MAX_MANIFEST_BYTES } from '../oci/mediatypes';
import type { UpstreamResponse } from '../upstream/exchange';

/** Sends one manifest request upstream: HEAD or GET, by the given reference. */
export type ManifestSender = (method: 'GET' | 'HEAD', reference: string) => Promise<UpstreamResponse>;

/** A sender for the request's repository, with the client's forwarded headers and `accept`. */
export function manifestSender(ctx: MirrorContext, req: Request, accept: string, seen?: (response: UpstreamResponse) => void): ManifestSender {
  return async (method, reference) => {
    const headers = forwardHeaders(req, ctx, []);
    headers.accept = accept;
    const path = `/v2/${ctx.repository}/manifests/${reference}`;
    // A manifest is read whole before the client hears anything: one deadline bounds it (`.manifest_timeout`).
    const response = await ctx.client.send({ method, path, headers, signal: ctx.signal, read: 'whole' }, ctx.authorizer);
    seen?.(response);
    return response;
  };
}

/**
 * Describes a manifest from a HEAD answer. By digest, the only digest the
 * client may be told is the one it asked for (content addressability): a
 * HEAD has no bytes to check the upstream's header against.
 */
export function describeHead(upstream: UpstreamResponse, askedDigest?: string): ResolvedManifest {
  // A HEAD answer has no body, but node:http hands its socket back to the
  // keep-alive pool only once the response was read to its end: unread, every
  // HEAD left one connection open and the next one dialled a new one.
  upstream.body.resume();
  const length = Number(headerValue(upstream, 'content-length'));
  return {
    status: upstream.status,
    mediaType: headerValue(upstream, 'content-type'),
    digest: askedDigest ?? headerValue(upstream, Header.contentDigest),
    size: Number.isFinite(length) ? length : -1,
    headers: {},
  };
}

/**
 * Reads the manifest bytes. Asked by digest, the bytes must hash to it
 * (content addressability); by tag, the digest is the upstream's header or,
 * when it sent none, computed over the bytes as containerd would. A header
 * the bytes do not hash to is refused (502), never passed on: the client and
 * the tag cache would trust it. (A HEAD has no bytes and can only trust it.)
 * An upstream that breaks off mid-body is a 502 too.
 */
export async function readManifest(host: string, upstream: UpstreamResponse, askedDigest?: string, signal?: AbortSignal): Promise<ResolvedManifest> {
  const body = await readUpstreamBody(upstream.body, MAX_MANIFEST_BYTES, host, signal);
  const claimed = headerValue(upstream, Header.contentDigest);
  const expected = askedDigest ?? claimed;
  if (expected && !verifiesDigest(body, expected)) {
    const what = askedDigest ?? `its Docker-Content-Digest ${claimed}`;
    // Counts against the endpoint that sent it (its circuit opens): the client's retry goes to the next one.
    upstream.rejectContent?.(new Error(`content that does not match ${what}`));
    throw new MirrorError(502, 'MANIFEST_INVALID', `upstream ${host} answered with content that does not match ${what}`);
  }
  return { status: 200, mediaType: headerValue(upstream, 'content-type'), digest: expected || sha256Digest(body), size: body.length, body, headers: {} };
}

/** The first value of a response header, or ''. */
export function headerValue(upstream: UpstreamResponse, name: string): string {
  const value = upstream.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}
