import type { MirrorContext } from './context';
import type { UpstreamResponse } from '../upstream/exchange';
import type { PluginDeps } from './plugin';

/**
 * Watches the pull budget a registry reports. Docker Hub sends
 * `ratelimit-remaining: 76;w=21600` (76 pulls left in a 6-hour window) on
 * manifest answers; the count is logged at debug and shown as the
 * `lifec_upstream_ratelimit_remaining` gauge, per upstream.
 */
export function rateLimitWatcher(deps: PluginDeps): (ctx: MirrorContext, response: UpstreamResponse) => void {
  const gauge = deps.services.metrics.rateLimitRemaining;
  return (ctx, response) => {
    const raw = response.headers['ratelimit-remaining'];
    const value = Array.isArray(raw) ? raw[0] : raw;
    const remaining = value === undefined ? undefined : parseRemaining(value);
    if (remaining === undefined) return;
    gauge.set({ upstream: ctx.upstream.host }, remaining);
    deps.logger.debug({ reqId: ctx.requestId, ns: ctx.upstream.host, remaining, header: value }, 'upstream pull quota');
  };
}

/** The count before any `;w=` window parameter (IETF RateLimit header fields draft). */
export function parseRemaining(value: string): number | undefined {
  const match = /^\s*(\d+)\s*(?:;|$)/.exec(value);
  return match ? Number(match[1]) : undefined;
}
