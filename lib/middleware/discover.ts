import { mirrorContext } from './context';
import { createLookup } from '../referrers/lookup';
import { parseDiscoverInput } from '../referrers/options';
import { sourceOf } from './repository-source';
import type { PluginDefinition } from './plugin';

/**
 * `.discover <artifactType>[, …] [ttl=30s] [legacy-oras]`: tells the plugins
 * after it where streamable variants live. It sets up a lookup of the
 * referrers of a manifest in the request's repository (OCI referrers API,
 * then the `<alg>-<hex>` tag schema, then optionally ORAS), cached per
 * (registry, repository, digest) for `ttl`. Lookups happen when a plugin
 * such as `.teleport` asks; their failures never fail the pull.
 */
export const discoverPlugin: PluginDefinition = {
  name: 'discover',
  summary: 'look up referrers (streamable variants) of the resolved manifest',
  routes: ['manifests'],
  requires: ['resolve'],
  create(call, deps) {
    const options = parseDiscoverInput(call.input, call.inputPos);
    const logger = deps.logger.child({ plugin: 'discover' });
    return (_req, res, next) => {
      const ctx = mirrorContext(res);
      ctx.discovery = createLookup(sourceOf(ctx), deps.services.referrers, options, logger);
      next();
    };
  },
};
