import type { Logger } from 'pino';
import type { UpstreamPolicy } from '../../resilience/services';
import { UpstreamClient } from '../client';
import type { Authorizer, UpstreamSender } from '../exchange';
import type { EndpointTarget, Upstream } from '../upstream';
import { EndpointChain, type Hop } from './chain';
import type { TlsMaterial } from './declaration';
import type { EndpointEvents } from './events';
import { createAgents } from './tls';

export interface SenderDeps {
  /** Retries, breaker and observer for one name (a registry host or an endpoint name): one breaker each. */
  policyFor(name: string): UpstreamPolicy;
  /** An endpoint's own authorizer for a repository: its stored credentials, or anonymous. */
  authorizerFor(endpoint: EndpointTarget, repository: string): Authorizer | undefined;
  events: EndpointEvents;
  logger: Logger;
}

/**
 * What a registry's requests go through: its client alone, or, with
 * `.endpoint` lines, the chain of its endpoints (each a client with its own
 * breaker, retries, pool and credentials) ending with the registry itself
 * unless `.origin off`.
 */
export function createUpstreamSender(upstream: Upstream, deps: SenderDeps): UpstreamSender {
  const plan = upstream.fetchPlan;
  const policy = deps.policyFor(upstream.host);
  if (!plan) return new UpstreamClient(upstream, policy);
  const origin = new UpstreamClient(upstream, { ...policy, agents: hasTls(plan.originTls) ? createAgents(plan.originTls) : undefined });
  if (plan.endpoints.length === 0) return origin;
  const hops: Hop[] = plan.endpoints.map((endpoint) => {
    const own = deps.policyFor(endpoint.name);
    // The endpoint's client is named after the endpoint: its errors, breaker and metrics say which one failed.
    const target: Upstream = { host: endpoint.name, origin: endpoint.origin, isDefault: false, timeouts: upstream.timeouts };
    return {
      name: endpoint.name,
      client: new UpstreamClient(target, { ...own, agents: createAgents(endpoint.tls) }),
      breaker: own.breaker,
      origin: false,
      prefix: endpoint.prefix,
      authorizer: (repository) => deps.authorizerFor(endpoint, repository),
    };
  });
  if (plan.origin) hops.push({ name: upstream.host, client: origin, breaker: policy.breaker, origin: true });
  return new EndpointChain(upstream, hops, deps.events, deps.logger);
}

function hasTls(tls: TlsMaterial): boolean {
  return tls.ca !== undefined || tls.cert !== undefined;
}
