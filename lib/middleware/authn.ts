import { RegistryAuthorizer } from '../auth/authorizer';
import { fetchToken, type TokenRequest } from '../auth/token-client';
import { mirrorContext } from './context';
import { RunmdError } from '../runmd/errors';
import type { PluginDefinition } from './plugin';

/** The authentication modes `.authn` implements. */
const MODES = ['oauth2'];

/**
 * `.authn oauth2`: authenticates the mirror's upstream requests the way
 * containerd does (challenge, token endpoint, token cache, Basic), with the
 * credentials `.login` found, or anonymously without them (Docker Hub's
 * public images). The client's own `Authorization` is then not forwarded.
 */
export const authnPlugin: PluginDefinition = {
  name: 'authn',
  summary: 'authenticate upstream requests (Bearer token flow or Basic) with the .login credentials',
  routes: ['manifests', 'blobs', 'tags', 'referrers', 'uploads'],
  writes: 'prepares',
  create(call, deps) {
    if (!MODES.includes(call.input.trim())) {
      throw new RunmdError(call.inputPos, `.authn supports ${MODES.map((m) => `"${m}"`).join(', ')}, found "${call.input}"`);
    }
    const { tokens, challenges } = deps.services.auth;
    const fetches = deps.services.metrics.tokenFetches;
    // One counting fetcher per upstream, made once: counted here, where the upstream is known.
    const fetchers = new Map(
      deps.upstreams.all.map((u) => {
        const fetch = (request: TokenRequest) =>
          fetchToken(request).then(
            (token) => (fetches.inc({ upstream: u.host, outcome: 'ok' }), token),
            (err: unknown) => {
              fetches.inc({ upstream: u.host, outcome: 'error' });
              throw err;
            },
          );
        return [u.host, fetch] as const;
      }),
    );
    return (_req, res, next) => {
      const ctx = mirrorContext(res);
      const fetch = fetchers.get(ctx.upstream.host);
      ctx.authorizer = new RegistryAuthorizer({ upstream: ctx.upstream, repository: ctx.repository, credentials: ctx.credentials, tokens, challenges, fetch });
      next();
    };
  },
};
