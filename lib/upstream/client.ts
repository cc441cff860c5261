import type http from 'node:http';
import https from 'node:https';
import { UpstreamError } from '../errors';
import { retryDelay, sleep, type AttemptOutcome } from '../resilience/retry';
import type { UpstreamPolicy } from '../resilience/services';
import { LargeReadAgent } from './agent';
import { Deadline } from './body-guard';
import { redirectTarget, TargetGuard, UpstreamRefusal } from './redirect-policy';
import type { Upstream } from './upstream';
import { sendOnce } from './send';
import type { Authorizer, UpstreamRequest, UpstreamResponse } from './exchange';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Same bound as containerd's fetcher (and Go's http client). */
const MAX_REDIRECTS = 10;
/** Headers that identify the client to the registry; never sent to another host (distribution-spec, "Redirects"). */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/** Keep-alive agents by URL scheme. */
export type UpstreamAgents = Readonly<Record<'http:' | 'https:', http.Agent>>;

/** Keep-alive agents shared by every client of a process: one pool per upstream origin. */
const agents: UpstreamAgents = {
  'http:': new LargeReadAgent({ keepAlive: true, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo' }),
};

/** Resilience around every exchange; each part is optional (a bare client sends once). */
export interface UpstreamClientOptions extends UpstreamPolicy {
  /**
   * The upstream's own pool (its `.ca`, its client certificate). Used for the
   * upstream's origin only: a redirect to object storage goes through the
   * shared pool, so a private CA or a client key never applies to another host.
   */
  agents?: UpstreamAgents;
}

/**
 * Talks to one upstream registry: streams answers back, follows redirects on
 * the server side (object storage answers blob GETs with 307) and bounds
 * every wait by the upstream's timeouts.
 */
export class UpstreamClient {
  constructor(
    readonly upstream: Upstream,
    private readonly options: UpstreamClientOptions = {},
  ) {}

  /**
   * Sends `request`, retrying once after a 401 when the authorizer has fresh
   * credentials. Only the upstream's own 401 is a challenge to answer: a 401
   * from a redirect target (object storage, a CDN) names no realm the
   * registry's credentials may go to, as containerd ties a challenge to the
   * host that sent it. A body read whole (`read: 'whole'`) gets one deadline
   * for the whole exchange, retries and redirects included; its expiry
   * counts as an upstream failure.
   */
  async send(request: UpstreamRequest, authorizer?: Authorizer): Promise<UpstreamResponse> {
    if (request.read !== 'whole' || request.method === 'HEAD') return this.sendChallenged(request, authorizer);
    const deadline = new Deadline(this.upstream.timeouts.manifest, this.upstream.host, () => this.options.breaker?.failed());
    const signal = request.signal ? AbortSignal.any([request.signal, deadline.signal]) : deadline.signal;
    let response: UpstreamResponse;
    try {
      response = await this.sendChallenged({ ...request, signal }, authorizer);
    } catch (error) {
      deadline.cancel();
      throw deadline.expired ? deadline.error : error;
    }
    deadline.watch(response.body);
    return response;
  }

  private async sendChallenged(request: UpstreamRequest, authorizer?: Authorizer): Promise<UpstreamResponse> {
    const first = await this.sendResilient(request, authorizer);
    if (first.status !== 401 || !authorizer || new URL(first.url).origin !== this.origin) return first;
    let retry: boolean;
    try {
      retry = await authorizer.onUnauthorized(request, first);
    } catch (err) {
      first.body.destroy();
      throw err;
    }
    if (!retry) return first;
    first.body.resume();
    return this.sendResilient(request, authorizer);
  }

  /** The upstream's origin as URL parsing writes it (lowercase, default port dropped). */
  private get origin(): string {
    return new URL(this.upstream.origin).origin;
  }

  /**
   * One logical exchange: admitted by the breaker, retried with jittered
   * back-off on transport errors and 429/502/503/504. Every request the
   * mirror sends is a GET or HEAD (idempotent), and nothing has reached the
   * client yet while this runs, so a retry is always safe here.
   */
  private async sendResilient(request: UpstreamRequest, authorizer?: Authorizer): Promise<UpstreamResponse> {
    const { breaker, retry, observer } = this.options;
    const host = this.upstream.host;
    for (let attempt = 1; ; attempt++) {
      breaker?.admit();
      const started = performance.now();
      let outcome: AttemptOutcome;
      let response: UpstreamResponse | undefined;
      try {
        response = await this.sendAuthorized(request, authorizer);
        const status = response.status;
        observer?.exchange(host, status, (performance.now() - started) / 1000);
        if (status >= 500 && status !== 501) breaker?.failed();
        else if (request.method === 'GET' && status < 300 && breaker) {
          // Healthy once the body arrived; a body that stalls or trickles counts as a failure (sendOnce).
          breaker.answered();
          response.body.once('end', () => breaker.succeeded());
        } else breaker?.succeeded();
        outcome = { status, retryAfter: headerOf(response, 'retry-after') };
      } catch (error) {
        // A refused redirect says nothing about the upstream's health: no retry, no breaker count.
        if (!(error instanceof UpstreamError) || error instanceof UpstreamRefusal) {
          breaker?.abandoned();
          throw error;
        }
        observer?.exchange(host, 'error', (performance.now() - started) / 1000);
        breaker?.failed();
        outcome = { error };
      }
      const delay = retry && !request.signal?.aborted ? retryDelay(retry, attempt, outcome) : undefined;
      if (delay === undefined) {
        if (response) return response;
        throw (outcome as { error: unknown }).error;
      }
      response?.body.resume();
      observer?.retry(host);
      await sleep(delay, request.signal);
    }
  }

  private async sendAuthorized(request: UpstreamRequest, authorizer?: Authorizer): Promise<UpstreamResponse> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
    const authorization = await authorizer?.authorize(request);
    if (authorization) headers.authorization = authorization;
    return this.follow(request, new URL(request.path, this.upstream.origin), headers);
  }

  private async follow(request: UpstreamRequest, start: URL, startHeaders: Record<string, string>): Promise<UpstreamResponse> {
    const host = this.upstream.host;
    let url = start;
    let headers = startHeaders;
    let guard: TargetGuard | undefined;
    let upstreamAddress: string | undefined;
    for (let hop = 0; ; hop++) {
      const pool = this.options.agents && url.origin === this.origin ? this.options.agents : agents;
      const agent = pool[url.protocol as keyof UpstreamAgents];
      if (!agent) throw new UpstreamRefusal(`upstream ${host} redirected to an unsupported URL scheme ${url.protocol}`);
      const response = await sendOnce({
        url,
        method: request.method,
        headers,
        agent,
        signal: request.signal,
        timeouts: this.upstream.timeouts,
        guard,
        streamed: request.read !== 'whole',
        onBodyFailure: () => this.options.breaker?.failed(),
      });
      const location = response.headers.location;
      if (!REDIRECTS.has(response.status) || !location) return response;
      response.body.resume();
      if (hop >= MAX_REDIRECTS) throw new UpstreamRefusal(`upstream ${host} redirected more than ${MAX_REDIRECTS} times`);
      // Judged against the address the upstream itself answered from (the first hop).
      if (hop === 0) upstreamAddress = response.address;
      const next = redirectTarget(url, location, host);
      if (next.origin !== url.origin) headers = withoutCredentials(headers);
      url = next;
      // The declared upstream itself may be anywhere (a registry on the node): only other hosts are judged.
      guard = url.origin === this.origin ? undefined : new TargetGuard(upstreamAddress, host);
    }
  }
}

function headerOf(response: UpstreamResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  const copy = { ...headers };
  for (const name of CREDENTIAL_HEADERS) delete copy[name];
  return copy;
}
