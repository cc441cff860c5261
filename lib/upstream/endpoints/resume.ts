import type { Readable } from 'node:stream';
import type { MirrorError } from '../../errors';
import type { Authorizer, UpstreamRequest, UpstreamResponse } from '../exchange';
import type { FallbackReason } from './events';
import type { ByteSpan } from './resuming-body';

/** What resuming needs of an endpoint chain. */
export interface ResumeHops {
  readonly hops: readonly unknown[];
  attempt(index: number, request: UpstreamRequest, authorizer?: Authorizer): Promise<{ response: UpstreamResponse } | { error: MirrorError }>;
  fellBack(index: number, reason: FallbackReason, why: string, request: UpstreamRequest): void;
}

export interface ResumeRequest {
  request: UpstreamRequest;
  authorizer?: Authorizer;
  /** First and last byte still missing (inclusive). */
  from: number;
  end: number;
  /** The hop whose body broke: the rest is asked of the hops after it. */
  after: number;
}

/**
 * Asks the endpoints after the broken one for the missing bytes of a blob
 * (RFC 9110 §14.2, `Range: bytes=<from>-<end>`). Only a 206 for exactly those
 * bytes continues the body: a 200 (the whole blob again) or another range
 * would put the wrong bytes after the ones already sent.
 */
export async function resumeBody(chain: ResumeHops, resume: ResumeRequest): Promise<{ body: Readable; hop: number } | undefined> {
  const { request, authorizer, from, end, after } = resume;
  const headers = { ...request.headers, range: `bytes=${from}-${end}`, 'if-range': undefined };
  for (let index = after + 1; index < chain.hops.length; index++) {
    const result = await chain.attempt(index, { ...request, headers }, authorizer).catch(() => undefined);
    if (!result || 'error' in result) {
      if (result && index < chain.hops.length - 1) chain.fellBack(index, 'error', result.error.message, request);
      continue;
    }
    const { response } = result;
    const span = spanOf(response);
    if (response.status === 206 && span?.start === from && span.end === end) return { body: response.body, hop: index };
    response.body.destroy();
    if (index < chain.hops.length - 1) chain.fellBack(index, 'status', `answered ${response.status} to a resume from byte ${from}`, request);
  }
  return undefined;
}

/** The bytes a 200 or 206 answer carries, from `Content-Length` or `Content-Range`. */
export function spanOf(response: UpstreamResponse): ByteSpan | undefined {
  if (response.status === 206) {
    const match = /^bytes (\d+)-(\d+)\/(?:\d+|\*)$/.exec(String(response.headers['content-range'] ?? ''));
    return match ? { start: Number(match[1]), end: Number(match[2]) } : undefined;
  }
  const length = Number(response.headers['content-length']);
  return Number.isSafeInteger(length) && length > 0 ? { start: 0, end: length - 1 } : undefined;
}

