import type { Request } from 'express';
import { mirrorContext, type MirrorContext } from './context';
import { DEFAULT_REFERRERS_CACHE } from '../referrers/cache';
import { createLookup, type ReferrersLookup } from '../referrers/lookup';
import { sourceOf } from './repository-source';
import { RunmdError } from '../runmd/errors';
import { parseTeleportInput, requestAsks, UPGRADE_HEADER, type TeleportOptions } from '../teleport/options';
import { teleport } from '../teleport/teleport';
import type { PluginDefinition, PluginDeps } from './plugin';

/**
 * `.teleport <format> [os/arch[/variant] …|all-platforms] [on-request]`:
 * answers a manifest request by tag with the streamable variant of the
 * image (see docs/teleport.md). Requests by digest are never altered, so
 * content addressability holds. When anything goes wrong (no referrer, a
 * referrer that does not verify, a registry error) the original manifest is
 * served and the reason logged.
 */
export const teleportPlugin: PluginDefinition = {
  name: 'teleport',
  summary: 'answer a tag with its streamable (overlaybd, ACR streaming) manifest',
  routes: ['manifests'],
  requires: ['resolve'],
  create(call, deps) {
    let options: TeleportOptions;
    try {
      options = parseTeleportInput(call.input);
    } catch (err) {
      throw new RunmdError(call.inputPos, (err as Error).message);
    }
    const logger = deps.logger.child({ plugin: 'teleport', format: options.format.name });
    return async (req, res, next) => {
      const ctx = mirrorContext(res);
      const manifest = ctx.manifest;
      if (ctx.referenceKind !== 'tag' || manifest?.status !== 200 || !wantsTeleport(req, options)) return next();
      const source = sourceOf(ctx);
      const lookup = lookupFor(ctx, options, deps);
      let outcome = 'none';
      try {
        const answer = await teleport({
          options, source, manifest, lookup, accept: req.get('accept'),
          verified: deps.services.teleport.verified, produced: deps.services.teleport.produced, logger, signal: ctx.signal,
        });
        if (answer) {
          logger.info({ repository: ctx.repository, tag: ctx.reference, from: manifest.digest, to: answer.digest, mark: answer.headers['Lifec-Teleport'] }, 'teleported');
          ctx.manifest = answer;
          outcome = 'teleported';
        } else if (lookup.failures > 0) outcome = 'failed';
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        outcome = 'failed';
        logger.warn({ repository: ctx.repository, tag: ctx.reference, digest: manifest.digest, reason: (err as Error).message }, 'not teleported; serving the original manifest');
      }
      deps.services.metrics.teleports.inc({ outcome });
      next();
    };
  },
};

function wantsTeleport(req: Request, options: TeleportOptions): boolean {
  return !options.onRequest || requestAsks(req.get(UPGRADE_HEADER), options.format);
}

/**
 * The lookup `.discover` set up, narrowed to the types this format accepts;
 * without `.discover`, a lookup for exactly those types.
 */
function lookupFor(ctx: MirrorContext, options: TeleportOptions, deps: PluginDeps): ReferrersLookup {
  if (ctx.discovery) return ctx.discovery;
  const lookupOptions = { artifactTypes: options.format.artifactTypes, legacyOras: false, ttlMs: DEFAULT_REFERRERS_CACHE.ttlMs };
  return createLookup(sourceOf(ctx), deps.services.referrers, lookupOptions, deps.logger.child({ plugin: 'teleport' }));
}
