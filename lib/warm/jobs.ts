import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { WarmJob, type WarmRequest } from './job';
import type { WarmJobReport } from './report';

/** Finished jobs kept for `GET /_lifec/warm/<id>` and the status page; running ones are always kept. */
const KEEP_FINISHED = 20;

export interface WarmJobsOptions {
  isCached: (digest: string) => Promise<boolean>;
  clock: Clock;
  logger: Logger;
}

/**
 * The warm jobs of one mirror: started by `POST /_lifec/warm` and by `.warm`
 * steps, read by `GET /_lifec/warm/<id>` and the status page. Jobs read
 * through the mirror's own address, which is known once the server listens
 * (`listening`); a job started before that (a `.warm` at start) waits for it,
 * so the step never delays the server.
 */
export class WarmJobs {
  private readonly jobs = new Map<string, WarmJob>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private origin?: string;
  private announce!: (origin: string) => void;
  private readonly listeningAt = new Promise<string>((resolve) => (this.announce = resolve));

  constructor(private readonly options: WarmJobsOptions) {}

  /** The server listens at `url`; waiting jobs start. */
  listening(url: string): void {
    this.origin ??= loopbackOrigin(url);
    this.announce(this.origin);
  }

  /**
   * Starts a job. `fallbackOrigin` (the address an admin request came in on)
   * serves when the mirror is mounted in another app, whose server never
   * called `listening`.
   */
  start(request: WarmRequest, fallbackOrigin?: string): WarmJob {
    const id = randomBytes(6).toString('hex');
    const at = this.origin ?? fallbackOrigin;
    const job = new WarmJob(id, request, { ...this.options, origin: () => (at ? Promise.resolve(loopbackOrigin(at)) : this.listeningAt) });
    this.jobs.set(id, job);
    void job.finished.then(() => this.prune());
    return job;
  }

  /**
   * Starts `request` now and again every `everyMs` while the mirror runs (a
   * `.warm` followed by a `.timer`); a tick while the last run is still going
   * is skipped. A schedule under the same `key` (the step, run again by
   * `.loop`) is replaced, not doubled.
   */
  repeat(key: string, request: WarmRequest, everyMs: number): void {
    clearInterval(this.timers.get(key));
    let last = this.start(request);
    const timer = setInterval(() => {
      if (last.state !== 'running') last = this.start(request);
    }, everyMs);
    // A schedule must not keep a process alive that is otherwise done.
    timer.unref();
    this.timers.set(key, timer);
  }

  get(id: string): WarmJob | undefined {
    return this.jobs.get(id);
  }

  /** Every kept job, newest first. */
  reports(): WarmJobReport[] {
    return [...this.jobs.values()].reverse().map((j) => j.report());
  }

  /** Stops schedules and cancels running jobs (the mirror is shutting down). */
  async close(): Promise<void> {
    for (const timer of this.timers.values()) clearInterval(timer);
    this.timers.clear();
    const running = [...this.jobs.values()].filter((j) => j.state === 'running');
    for (const job of running) job.cancel();
    await Promise.all(running.map((j) => j.finished));
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.state !== 'running');
    for (const job of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(job.id);
  }
}

/** A wildcard bind address is reached on loopback: the mirror talks to itself on this machine. */
function loopbackOrigin(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === '0.0.0.0') parsed.hostname = '127.0.0.1';
  if (parsed.hostname === '[::]') parsed.hostname = '[::1]';
  return parsed.origin;
}
