import { mirrorContext } from '../context';
import { forwardHeaders, upstreamPath } from '../http/forward';
import { relay } from '../http/relay';
import type { PluginDefinition } from './plugin';

/** Client headers that shape a blob or listing answer. */
const PULL_HEADERS = ['accept', 'range', 'if-range', 'if-none-match'];

/**
 * `.pull`: streams the upstream's answer (a blob, a tag list, a referrers
 * index) to the client without holding it in memory. `Range` goes upstream
 * as sent, so 206/416 come back as the upstream answers them.
 */
export const pullPlugin: PluginDefinition = {
  name: 'pull',
  summary: 'stream the blob (or tag list, referrers index) from the upstream',
  routes: ['blobs', 'tags', 'referrers'],
  terminal: true,
  create() {
    return async (req, res) => {
      const ctx = mirrorContext(res);
      const head = req.method === 'HEAD';
      const suffix = ctx.route === 'tags' ? 'list' : (ctx.reference ?? '');
      const path = upstreamPath(`/v2/${ctx.repository}/${ctx.route}/${suffix}`, req);
      const headers = forwardHeaders(req, ctx, PULL_HEADERS);
      const upstream = await ctx.client.send({ method: head ? 'HEAD' : 'GET', path, headers, signal: ctx.signal }, ctx.authorizer);
      await relay(upstream, res, { head, ns: ctx.upstream.host });
    };
  },
};
