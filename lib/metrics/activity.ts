import type { Clock } from '../clock';
import type { AccessRecord } from '../http/access-log';
import type { MirrorMetrics } from './metrics';

/** Requests the status page lists. */
export const RECENT_REQUESTS = 50;
/** One chart point every this many ms, kept for {@link HISTORY_POINTS} points (5 minutes). */
export const SAMPLE_MS = 5_000;
export const HISTORY_POINTS = 60;

/** The last failure seen for a registry. */
export interface LastError {
  /** Clock milliseconds. */
  at: number;
  message: string;
}

/** One point of the throughput chart. */
export interface HistoryPoint {
  at: number;
  /** Blob bytes sent to clients per second over the interval (cache, downloads and relays together). */
  bytesPerSecond: number;
  /** Blob and manifest lookups answered from the cache, over the interval; null when there were none. */
  hitRatio: number | null;
}

/** Counter totals a chart point is the difference of. */
interface Totals {
  at: number;
  bytes: number;
  hits: number;
  lookups: number;
}

/**
 * What the status page shows beyond the metrics: the last requests, the last
 * error per registry, and throughput and hit ratio over the last minutes
 * (sampled from the metrics every {@link SAMPLE_MS}).
 */
export class Activity {
  private readonly recent: AccessRecord[] = [];
  private readonly errors = new Map<string, LastError>();
  /** Requests whose failure the error handler already recorded (with its message). */
  private readonly explained = new Set<string>();
  private readonly points: HistoryPoint[] = [];
  private last?: Totals;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly metrics: MirrorMetrics,
    private readonly clock: Clock,
  ) {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** A request to a registry finished; a 5xx not explained by the error handler becomes that registry's last error. */
  requestDone(entry: AccessRecord): void {
    const explained = entry.reqId !== undefined && this.explained.delete(entry.reqId);
    if (entry.registry === undefined) return;
    this.recent.push(entry);
    if (this.recent.length > RECENT_REQUESTS) this.recent.shift();
    if (entry.status >= 500 && !explained && !entry.aborted) {
      this.errors.set(entry.registry, { at: entry.time, message: `${entry.method} ${entry.repository ?? ''} ${entry.reference ?? ''}: answered ${entry.status}`.replace(/\s+/g, ' ') });
    }
  }

  /** The mirror answered a request for `registry` with an error of its own (an upstream that failed, a 503 breaker). */
  failed(registry: string, reqId: string | undefined, message: string): void {
    this.errors.set(registry, { at: this.clock.now(), message: withoutQueries(message) });
    if (reqId !== undefined) this.explained.add(reqId);
  }

  /** Newest first. */
  requests(): AccessRecord[] {
    return [...this.recent].reverse();
  }

  lastError(registry: string): LastError | undefined {
    return this.errors.get(registry);
  }

  history(): HistoryPoint[] {
    return [...this.points];
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    const now: Totals = { at: this.clock.now(), bytes: 0, hits: 0, lookups: 0 };
    for (const v of (await this.metrics.servedBytes.get()).values) now.bytes += v.value;
    for (const v of (await this.metrics.cacheHits.get()).values) if (v.labels.kind !== 'tag') (now.hits += v.value), (now.lookups += v.value);
    for (const v of (await this.metrics.cacheMisses.get()).values) if (v.labels.kind !== 'tag') now.lookups += v.value;
    const before = this.last;
    this.last = now;
    if (!before || now.at <= before.at) return;
    const lookups = now.lookups - before.lookups;
    this.points.push({
      at: now.at,
      bytesPerSecond: ((now.bytes - before.bytes) * 1000) / (now.at - before.at),
      hitRatio: lookups > 0 ? (now.hits - before.hits) / lookups : null,
    });
    if (this.points.length > HISTORY_POINTS) this.points.shift();
  }
}

/** Error messages may quote a URL; a query (a signed storage URL's SAS, a token) is cut off. */
export function withoutQueries(text: string): string {
  return text.replace(/(\bhttps?:\/\/[^\s?#"']+)[?#][^\s"']*/g, '$1?…');
}
