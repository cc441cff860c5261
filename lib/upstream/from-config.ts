import type { MirrorSpec } from '../runmd/config';
import { findProperty } from '../runmd/compile';
import { RunmdError } from '../runmd/errors';
import type { Line } from '../runmd/ast';
import { parseDuration } from '../runmd/duration';
import { parseSize } from '../runmd/size';
import type { MinRate } from './body-guard';
import { DEFAULT_TIMEOUTS, type FetchPlan, type Upstream, type UpstreamTimeouts } from './upstream';
import { readFetchOrder } from './endpoints/declaration';
import { loadTls } from './endpoints/tls';

/** Builds the upstreams of a compiled config; the first `.mirror` is the default unless one says `.default`. */
export function upstreamsFromConfig(mirrors: readonly MirrorSpec[]): Upstream[] {
  const marked = mirrors.filter((m) => findProperty(m.properties, 'default'));
  if (marked.length > 1) throw new RunmdError(marked[1]!.pos, 'only one .mirror can be the .default');
  const defaultHost = (marked[0] ?? mirrors[0])?.host;
  return mirrors.map((m) => ({ host: m.host, origin: m.origin, isDefault: m.host === defaultHost, timeouts: timeouts(m), fetchPlan: fetchPlan(m) }));
}

/** The `.endpoint`/`.origin`/`.ca`/`.client_cert` lines, with their files read; none of them: no plan. */
function fetchPlan(mirror: MirrorSpec): FetchPlan | undefined {
  const order = readFetchOrder(mirror.properties);
  if (order.endpoints.length === 0 && !order.originTls.ca && !order.originTls.clientCert) return undefined;
  return {
    endpoints: order.endpoints.map((e) => ({ name: e.name, origin: e.origin, prefix: e.prefix, tls: loadTls(e.tls) })),
    origin: order.origin,
    originTls: loadTls(order.originTls),
  };
}

function timeouts(mirror: MirrorSpec): UpstreamTimeouts {
  const pick = (name: string, fallback: number): number => {
    const line = findProperty(mirror.properties, name);
    return line ? parseDuration(line.input, line.inputPos) : fallback;
  };
  return {
    connect: pick('connect_timeout', DEFAULT_TIMEOUTS.connect),
    headers: pick('headers_timeout', DEFAULT_TIMEOUTS.headers),
    idle: pick('idle_timeout', DEFAULT_TIMEOUTS.idle),
    manifest: pick('manifest_timeout', DEFAULT_TIMEOUTS.manifest),
    minRate: minRate(findProperty(mirror.properties, 'min_rate')),
  };
}

/** `.min_rate <size>/s [<window>]` (e.g. `16KiB/s 30s`), or `off`. */
function minRate(line: Line | undefined): MinRate {
  if (!line) return { ...DEFAULT_TIMEOUTS.minRate };
  const [rate, window, extra] = line.input.split(/\s+/).filter((w) => w !== '');
  if (rate === 'off' && window === undefined) return { bytesPerSecond: 0, windowMs: DEFAULT_TIMEOUTS.minRate.windowMs };
  const bytes = rate?.endsWith('/s') ? parseSize(rate.slice(0, -2)) : undefined;
  if (bytes === undefined || bytes <= 0 || extra !== undefined) {
    throw new RunmdError(line.inputPos, '.min_rate takes bytes per second and an optional window (e.g. ".min_rate 16KiB/s 30s") or "off"');
  }
  return { bytesPerSecond: bytes, windowMs: window === undefined ? DEFAULT_TIMEOUTS.minRate.windowMs : parseDuration(window, line.inputPos) };
}
