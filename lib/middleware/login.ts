import path from 'node:path';
import { parseCredentialSource, type CredentialSource } from '../auth/credential-source';
import { mirrorContext } from './context';
import { MirrorError } from '../errors';
import { RunmdError } from '../runmd/errors';
import type { PluginDefinition } from './plugin';

/**
 * `.login <credential>`: looks up the credentials of the request's upstream
 * (and only that upstream) for `.authn` to use. A configured credential that
 * cannot be used (missing file, expired token, failed login) answers 503, so
 * containerd falls back to the registry instead of pulling anonymously.
 */
export const loginPlugin: PluginDefinition = {
  name: 'login',
  summary: 'load the registry credentials (credential file, Docker config, or environment variables)',
  routes: ['manifests', 'blobs', 'tags', 'referrers', 'uploads'],
  writes: 'prepares',
  create(call, deps) {
    const source = checkedSource(call.input, call.inputPos, deps.upstreams.all.length);
    const { credentials } = deps.services.auth;
    return async (_req, res, next) => {
      const ctx = mirrorContext(res);
      const host = ctx.upstream.host;
      const found = await credentials.lookup(source, host);
      if (found.status === 'unavailable') {
        const retryAfter = String(credentials.logins.retryAfterSeconds(host));
        throw new MirrorError(503, 'UNAVAILABLE', `credentials for ${host} are unavailable: ${found.reason}`, { headers: { 'Retry-After': retryAfter } });
      }
      if (found.status === 'found') ctx.credentials = found.credentials;
      next();
    };
  },
};

function checkedSource(input: string, pos: RunmdError['pos'], registries: number): CredentialSource {
  let source: CredentialSource;
  try {
    source = parseCredentialSource(input);
  } catch (err) {
    throw new RunmdError(pos, (err as Error).message);
  }
  // A file outside .world/<host>/ names no registry: with several, its secret would go to all of them.
  if (source.kind === 'file' && path.isAbsolute(source.file) && registries > 1) {
    throw new RunmdError(pos, `credential file ${source.file} would be used for every registry: use a bare name (kept in .world/<registry>/) or a Docker config.json ("docker ${source.file}")`);
  }
  return source;
}
