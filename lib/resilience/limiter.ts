import { MirrorError } from '../errors';

/** Bounds on concurrent upstream downloads. */
export interface LimiterPolicy {
  /** Downloads running at once. */
  concurrent: number;
  /** Requests waiting for a slot; more get 503 at once. */
  queued: number;
  /** Longest wait for a slot, in ms, before answering 503. */
  maxWaitMs: number;
}

export const DEFAULT_LIMITER: LimiterPolicy = { concurrent: 16, queued: 256, maxWaitMs: 30_000 };

/** Gives a slot back; calling it twice is harmless. */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  reject: (error: Error) => void;
}

/**
 * A counting semaphore with a bounded FIFO queue. Excess requests get
 * `503 Retry-After` instead of piling up sockets and memory; containerd
 * treats a 503 from a mirror as "try the next host".
 */
export class DownloadLimiter {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly policy: LimiterPolicy,
    private readonly onChange: (active: number, queued: number) => void = () => undefined,
  ) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Waits for a slot; rejects with 503 when the queue is full, the wait is too long or `signal` aborts. */
  acquire(signal?: AbortSignal): Promise<Release> {
    // An abort event already fired will not fire again: the client left before asking.
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.active < this.policy.concurrent) return Promise.resolve(this.take());
    if (this.waiting.length >= this.policy.queued) return Promise.reject(busy('the download queue is full'));
    return new Promise<Release>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        this.report();
      };
      const waiter: Waiter = {
        grant: (release) => (finish(), resolve(release)),
        reject: (error) => (finish(), reject(error)),
      };
      const timer = setTimeout(() => waiter.reject(busy('no download slot became free in time')), this.policy.maxWaitMs);
      const onAbort = (): void => waiter.reject(signal?.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      this.report();
    });
  }

  private take(): Release {
    this.active += 1;
    this.report();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      const next = this.waiting[0];
      if (next) next.grant(this.take());
      else this.report();
    };
  }

  private report(): void {
    this.onChange(this.active, this.waiting.length);
  }
}

function busy(reason: string): MirrorError {
  return new MirrorError(503, 'UNAVAILABLE', `the mirror is busy: ${reason}`, { headers: { 'Retry-After': '1' } });
}
