import type http from 'node:http';
import type { Readable } from 'node:stream';
import type { Upstream } from './upstream';

/** What an authorizer needs to know of a request to the upstream. */
export interface AuthorizedRequest {
  method: string;
  /** Path and query, e.g. `/v2/library/redis/manifests/7`. */
  path: string;
  /**
   * Token scopes the request needs (distribution `docs/spec/auth/scope.md`);
   * default: pull on the request's repository. A push names
   * `repository:<name>:pull,push`, a mount adds `repository:<from>:pull`.
   */
  scopes?: readonly string[];
  /** A write: it must not start with a token close to expiring (see `TokenCache.get`). */
  write?: boolean;
  headers?: Readonly<Record<string, string | undefined>>;
  /** Aborts the upstream request, e.g. when the client went away. */
  signal?: AbortSignal;
  /**
   * How the caller reads the body: `whole` before it answers (a manifest),
   * bounded by the upstream's overall `manifestTimeout`; `stream` (the
   * default) as it arrives (a blob, a listing), bounded by its `minRate`.
   */
  read?: 'whole' | 'stream';
}

/** One request the `UpstreamClient` sends: reads only, so it may be retried. */
export interface UpstreamRequest extends AuthorizedRequest {
  method: 'GET' | 'HEAD';
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
  /** The IP address that answered, when known. */
  address?: string;
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
  authorize(request: AuthorizedRequest): Promise<string | undefined>;
  /** Sees a 401 from the upstream (and drops the token it rejected); answers true when a retry can succeed. */
  onUnauthorized(request: AuthorizedRequest, response: UpstreamResponse): Promise<boolean>;
}
