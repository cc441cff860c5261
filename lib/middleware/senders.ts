import type { Response } from 'express';
import { EndpointAuthorizer } from '../auth/endpoint-authorizer';
import { parseCredentialSource, type CredentialSource } from '../auth/credential-source';
import type { ProxySpec } from '../runmd/config';
import type { UpstreamSender } from '../upstream/exchange';
import { createUpstreamSender } from '../upstream/endpoints/sender';
import type { PluginDeps } from './plugin';

/** The header naming the endpoint that answered (`.endpoint`, or the registry itself). */
export const ENDPOINT_HEADER = 'Lifec-Endpoint';

/**
 * One sender per declared registry: its client, or the chain of its
 * endpoints. Endpoints look their credentials up with the source of the
 * proxy's first `.login` (by the endpoint's host), and are asked
 * anonymously without one.
 */
export function createSenders(proxy: ProxySpec, deps: PluginDeps): ReadonlyMap<string, UpstreamSender> {
  const source = loginSource(proxy);
  const { services, logger } = deps;
  return new Map(
    deps.upstreams.all.map((upstream) => [
      upstream.host,
      createUpstreamSender(upstream, {
        policyFor: (name) => services.resilience.policyFor(name),
        authorizerFor: (endpoint, repository) => new EndpointAuthorizer({ endpoint, repository, source, auth: services.auth }),
        events: services.metrics,
        logger,
      }),
    ]),
  );
}

/**
 * The sender a request uses: answers from an endpoint carry `Lifec-Endpoint`
 * (the last exchange before the answer started names it).
 */
export function namingEndpoint(sender: UpstreamSender, res: Response): UpstreamSender {
  if (!sender.upstream.fetchPlan?.endpoints.length) return sender;
  return {
    upstream: sender.upstream,
    send: async (request, authorizer) => {
      const response = await sender.send(request, authorizer);
      if (response.endpoint && !res.headersSent) res.setHeader(ENDPOINT_HEADER, response.endpoint);
      return response;
    },
  };
}

function loginSource(proxy: ProxySpec): CredentialSource | undefined {
  const login = proxy.routes.flatMap((r) => r.plugins).find((p) => p.name === 'login');
  try {
    return login ? parseCredentialSource(login.input) : undefined;
  } catch {
    // The .login plugin reports a bad input with its runmd position when it is created.
    return undefined;
  }
}
