import type { Authorizer, UpstreamRequest, UpstreamResponse } from '../upstream/exchange';
import { DEFAULT_TIMEOUTS, type EndpointTarget } from '../upstream/upstream';
import { RegistryAuthorizer } from './authorizer';
import type { CredentialSource } from './credential-source';
import type { AuthServices } from './services';

export interface EndpointAuthorizerOptions {
  endpoint: EndpointTarget;
  /** The repository as the endpoint names it (with its prefix). */
  repository: string;
  /** The source `.login` names; absent: anonymous. */
  source?: CredentialSource;
  auth: AuthServices;
}

/**
 * Authenticates requests to one `.endpoint` with the endpoint's own
 * credentials, looked up by its host as `.login` looks up a registry's
 * (`<home>/.world/<endpoint host>/…`, Docker config, environment). A tier
 * usually needs none: without stored credentials it is asked anonymously
 * (answering its token challenge without a secret) instead of failing, and
 * the registry's credentials never go to it.
 */
export class EndpointAuthorizer implements Authorizer {
  private delegate?: Promise<RegistryAuthorizer>;

  constructor(private readonly options: EndpointAuthorizerOptions) {}

  async authorize(request: UpstreamRequest): Promise<string | undefined> {
    return (await this.registryAuthorizer()).authorize(request);
  }

  async onUnauthorized(request: UpstreamRequest, response: UpstreamResponse): Promise<boolean> {
    return (await this.registryAuthorizer()).onUnauthorized(request, response);
  }

  private registryAuthorizer(): Promise<RegistryAuthorizer> {
    this.delegate ??= this.create();
    return this.delegate;
  }

  private async create(): Promise<RegistryAuthorizer> {
    const { endpoint, repository, source, auth } = this.options;
    const host = new URL(endpoint.origin).host;
    const found = source ? await auth.credentials.lookup(source, host) : undefined;
    const credentials = found?.status === 'found' ? found.credentials : undefined;
    // Challenges and tokens are keyed by the endpoint's host: they are its own.
    const upstream = { host, origin: endpoint.origin, isDefault: false, timeouts: DEFAULT_TIMEOUTS };
    return new RegistryAuthorizer({ upstream, repository, credentials, tokens: auth.tokens, challenges: auth.challenges });
  }
}
