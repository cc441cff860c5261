import type { Logger } from 'pino';
import { MirrorError, UpstreamError } from '../../errors';
import type { CircuitBreaker } from '../../resilience/circuit-breaker';
import type { UpstreamClient } from '../client';
import type { Authorizer, UpstreamRequest, UpstreamResponse, UpstreamSender } from '../exchange';
import type { Upstream } from '../upstream';
import type { EndpointEvents, FallbackReason } from './events';
import { endpointPath, splitRepositoryPath } from './request-path';
import { ResumingBody } from './resuming-body';
import { resumeBody, spanOf, type ResumeHops } from './resume';

/** One place a registry's content is fetched from: an `.endpoint`, or the registry itself. */
export interface Hop {
  /** `host[:port][/prefix]`: in logs, metrics and `Lifec-Endpoint`. */
  name: string;
  client: UpstreamClient;
  breaker?: CircuitBreaker;
  /** The registry itself: asked with the caller's path, headers and authorizer. */
  origin: boolean;
  prefix?: string;
  /** This endpoint's own authorizer for a repository (its stored credentials, or anonymous). */
  authorizer?: (repository: string) => Authorizer | undefined;
}

/** Answers the next endpoint may do better on; the last endpoint's answer is final whatever it is. */
const FALLBACK_STATUSES = new Set([401, 403, 404, 429]);

/**
 * The endpoints of one registry, tried in order (`.endpoint` lines, then the
 * registry unless `.origin off`), each with its own client: breaker,
 * retries, connection pool and credentials. Moves on after no answer, a
 * 5xx or 429, and 401/403/404 (a tier that lacks the content or refuses);
 * a body that breaks mid-way continues from the next endpoint with `Range`;
 * a body a reader rejects (digest or size) opens that endpoint's circuit.
 */
export class EndpointChain implements UpstreamSender, ResumeHops {
  constructor(
    readonly upstream: Upstream,
    readonly hops: readonly Hop[],
    private readonly events: EndpointEvents,
    private readonly logger: Logger,
  ) {}

  async send(request: UpstreamRequest, authorizer?: Authorizer): Promise<UpstreamResponse> {
    const reasons: string[] = [];
    for (let index = 0; index < this.hops.length; index++) {
      const hop = this.hops[index]!;
      const more = index < this.hops.length - 1;
      const result = await this.attempt(index, request, authorizer);
      if ('error' in result) {
        reasons.push(`${hop.name}: ${result.error.message}`);
        if (!more) throw exhausted(this.upstream.host, result.error, reasons);
        this.fellBack(index, 'error', result.error.message, request);
        continue;
      }
      const { response } = result;
      if (more && (response.status >= 500 || FALLBACK_STATUSES.has(response.status))) {
        response.body.resume();
        this.fellBack(index, 'status', `answered ${response.status}`, request);
        continue;
      }
      return this.answer(index, request, authorizer, response);
    }
    throw new Error(`registry ${this.upstream.host} has no endpoint to ask`);
  }

  /** One exchange with hop `index`; an error that says nothing about the client (it left) is thrown. */
  async attempt(index: number, request: UpstreamRequest, authorizer?: Authorizer): Promise<{ response: UpstreamResponse } | { error: MirrorError }> {
    const hop = this.hops[index]!;
    const sent = this.requestFor(hop, request);
    try {
      const own = hop.origin ? authorizer : hop.authorizer?.(splitRepositoryPath(sent.path)?.name ?? '');
      const response = await hop.client.send(sent, own);
      this.events.answered(this.upstream.host, hop.name, response.status);
      return { response };
    } catch (error) {
      if (request.signal?.aborted || !(error instanceof MirrorError)) throw error;
      this.events.answered(this.upstream.host, hop.name, 'error');
      return { error };
    }
  }

  /** Logs and counts a move to the next endpoint. */
  fellBack(index: number, reason: FallbackReason, why: string, request: UpstreamRequest): void {
    const hop = this.hops[index]!;
    this.events.fallback(this.upstream.host, hop.name, reason);
    const next = this.hops[index + 1]?.name;
    this.logger.warn({ registry: this.upstream.host, endpoint: hop.name, next, reason, path: request.path, why }, `endpoint ${hop.name} failed (${why}): trying ${next ?? 'nothing else'}`);
  }

  /**
   * The answer that is final. A GET body is counted per endpoint; a blob
   * body may resume from the next endpoints; a reader that rejects it opens
   * the circuit of every endpoint that sent part of it.
   */
  private answer(index: number, request: UpstreamRequest, authorizer: Authorizer | undefined, response: UpstreamResponse): UpstreamResponse {
    const hop = this.hops[index]!;
    const answered = { ...response, endpoint: hop.name, headers: withoutPrefix(response.headers, hop.prefix) };
    if (request.method !== 'GET' || (response.status !== 200 && response.status !== 206)) return answered;
    const span = spanOf(response);
    const resumable = span !== undefined && index < this.hops.length - 1 && splitRepositoryPath(request.path)?.tail.startsWith('/blobs/') === true;
    const body = new ResumingBody(response.body, index, {
      span,
      resume: resumable ? (from, end, after) => resumeBody(this, { request, authorizer, from, end, after }) : undefined,
      onBytes: (at, bytes) => this.events.bytes(this.upstream.host, this.hops[at]!.name, bytes),
      onBreak: (at, error, received) => {
        this.hops[at]!.breaker?.failed();
        if (resumable) this.fellBack(at, 'body', `the body broke off after ${received} bytes: ${error.message}`, request);
      },
    });
    return { ...answered, body, rejectContent: (reason) => this.rejected(body.hops, reason, request) };
  }

  private rejected(hops: readonly number[], reason: Error, request: UpstreamRequest): void {
    for (const index of hops) {
      const hop = this.hops[index]!;
      hop.breaker?.trip();
      this.events.fallback(this.upstream.host, hop.name, 'content');
      this.logger.warn({ registry: this.upstream.host, endpoint: hop.name, path: request.path, why: reason.message }, `endpoint ${hop.name} sent content that does not verify: its circuit opens, the next requests go to the next endpoint`);
    }
  }

  private requestFor(hop: Hop, request: UpstreamRequest): UpstreamRequest {
    if (hop.origin) return request;
    // The client's own Authorization is for the registry: it never goes to an endpoint.
    const headers = Object.fromEntries(Object.entries(request.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'authorization'));
    return { ...request, path: endpointPath(request.path, this.upstream.host, hop.prefix), headers };
  }
}

/**
 * A prefix endpoint's `Link` (tag list pages, RFC 8288) names its own paths,
 * `/v2/<prefix>/<repo>/…`; the client follows links through the node mirror,
 * which knows the repository without the prefix.
 */
function withoutPrefix(headers: UpstreamResponse['headers'], prefix: string | undefined): UpstreamResponse['headers'] {
  const link = headers.link;
  if (prefix === undefined || link === undefined) return headers;
  const strip = (value: string): string => value.replaceAll(`</v2/${prefix}/`, '</v2/');
  return { ...headers, link: Array.isArray(link) ? link.map(strip) : strip(link) };
}

/** Every endpoint failed without an answer: one 503, so containerd moves to its next host at once. */
function exhausted(registry: string, last: MirrorError, reasons: readonly string[]): MirrorError {
  const retryAfter = last.headers['Retry-After'] ?? '1';
  return new UpstreamError(503, 'UNAVAILABLE', `no endpoint of ${registry} answered (${reasons.join('; ')})`, { cause: last, headers: { 'Retry-After': retryAfter } });
}
