import type http from 'node:http';
import type { Readable } from 'node:stream';
import type { Upstream } from './upstream';

export interface UpstreamRequest {
  method: 'GET' | 'HEAD';
  /** Path and query, e.g. `/v2/library/redis/manifests/7`. */
  path: string;
  headers?: Readonly<Record<string, string | undefined>>;
  /** Aborts the upstream request, e.g. when the client went away. */
  signal?: AbortSignal;
}

export interface UpstreamResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Readable;
  /** The URL that answered, after redirects. */
  url: string;
  /** The `.endpoint` (or the registry) that answered, when the registry has endpoints: the `Lifec-Endpoint` header. */
  endpoint?: string;
  /**
   * Called by a reader that found the body is not what was asked for (its
   * digest or size does not verify): the answer counts against whoever sent it.
   */
  rejectContent?: (reason: Error) => void;
}

/** Sends requests to one registry: its client, or the chain of its endpoints. */
export interface UpstreamSender {
  readonly upstream: Upstream;
  send(request: UpstreamRequest, authorizer?: Authorizer): Promise<UpstreamResponse>;
}

/**
 * Adds credentials to upstream requests; `.authn` provides one. Without an
 * authorizer the mirror forwards what the client sent.
 */
export interface Authorizer {
  /** The `Authorization` value for this request to the upstream, if any. */
  authorize(request: UpstreamRequest): Promise<string | undefined>;
  /** Sees a 401 from the upstream; answers true when a retry can succeed (a fresh token). */
  onUnauthorized(request: UpstreamRequest, response: UpstreamResponse): Promise<boolean>;
}
