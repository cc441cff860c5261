import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/** Threads at most: one hash per download, and downloads are few (`.downloads`). */
const MAX_WORKERS = 4;
/**
 * Bytes a job hands its worker at a time: twice the batches of a download's
 * writer (4 MiB and the chunk that crossed it), so a batch is one round trip.
 * Memory is touched only as far as batches reach.
 */
const STAGING_BYTES = 8 * 1024 * 1024;
/** The worker's code, next to this module in the sources and in the built package. */
const WORKER_SCRIPT = path.join(__dirname, 'hash-worker.js');

/** The share of the work of one download that runs in a worker. */
export interface HashJob {
  /** Hashes `chunks` and writes them to the file at `position`; resolves once the bytes are in the file. */
  write(chunks: readonly Buffer[], position: number): Promise<void>;
  /** The hex SHA-256 of everything written; the job is over after. */
  digest(): Promise<string>;
  /** Ends the job without a digest (a failed download). */
  drop(): void;
}

interface Answer {
  id: number;
  digest?: string;
  error?: { message: string; code?: string };
}

/** One worker thread and the requests it has not answered yet. */
class HashWorker {
  jobs = 0;
  private readonly pending = new Map<number, { resolve(answer: Answer): void; reject(error: Error): void }>();
  private readonly worker: Worker;
  /** Why the thread is gone; requests made after that fail with it. */
  private stopped?: Error;

  constructor(script: string, onStop: (stopped: HashWorker) => void) {
    this.worker = new Worker(script);
    this.worker.on('message', (answer: Answer) => this.answered(answer));
    // A worker waiting for work must not keep the process alive (unref after
    // the listener, which refs it again); it is ref'd while requests wait.
    this.worker.unref();
    const stop = (error: Error): void => {
      this.stopped ??= error;
      onStop(this);
      for (const request of this.pending.values()) request.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (error) => stop(new Error(`the hashing thread failed: ${error.message}`)));
    this.worker.on('exit', (code) => stop(new Error(`the hashing thread stopped (exit code ${code})`)));
  }

  request(message: { id: number } & Record<string, unknown>): Promise<Answer> {
    return new Promise((resolve, reject) => {
      if (this.stopped) return reject(this.stopped);
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(message.id, { resolve, reject });
      this.worker.postMessage(message);
    });
  }

  post(message: Record<string, unknown>): void {
    this.worker.postMessage(message);
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
    this.stopped ??= new Error('the hashing thread stopped');
  }

  private answered(answer: Answer): void {
    const request = this.pending.get(answer.id);
    if (!request) return;
    this.pending.delete(answer.id);
    if (this.pending.size === 0) this.worker.unref();
    if (answer.error) request.reject(Object.assign(new Error(answer.error.message), { code: answer.error.code }));
    else request.resolve(answer);
  }
}

/**
 * Worker threads that hash cache downloads and write them to disk, so that
 * the main thread only receives and sends (see lib/cache/hash-worker.js).
 * Each job copies its bytes into a staging buffer shared with its worker:
 * one copy, where handing over the chunks themselves (transferring their
 * memory there and back) left the main thread more garbage to collect than
 * the copy costs. Threads start with the first download and are spread over
 * the downloads in progress, up to one fewer than the cores (at least one,
 * at most {@link MAX_WORKERS}).
 */
export class HashWorkers {
  private readonly workers: HashWorker[] = [];
  /** Staging buffers of finished jobs, for the next ones. */
  private readonly spare: SharedArrayBuffer[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly maxWorkers = Math.max(1, Math.min(MAX_WORKERS, os.availableParallelism() - 1)),
    private readonly script = WORKER_SCRIPT,
  ) {}

  /**
   * Fails when the worker's code cannot be read (a package copied without
   * it): the cache then stays off instead of failing every download.
   */
  async check(): Promise<void> {
    await fs.promises.access(this.script, fs.constants.R_OK).catch(() => {
      throw new Error(`the hashing thread's code is missing: ${this.script}`);
    });
  }

  /** A job for the download written to descriptor `fd`. */
  job(fd: number): HashJob {
    if (this.closed) throw new Error('the hashing threads are stopped');
    const worker = this.leastBusy();
    const job = this.nextId++;
    const shared = this.spare.pop() ?? new SharedArrayBuffer(STAGING_BYTES);
    const staging = Buffer.from(shared);
    worker.jobs += 1;
    worker.post({ op: 'open', job, staging: shared });
    let open = true;
    /** The write in flight: the staging buffer is reused only once it returned. */
    let writing: Promise<unknown> = Promise.resolve();
    const end = (): void => {
      if (!open) return;
      open = false;
      worker.jobs -= 1;
      void writing.then(() => this.spare.push(shared));
    };
    const fill = async (chunks: readonly Buffer[], position: number): Promise<void> => {
      let at = position;
      for (const length of stage(chunks, staging)) {
        if (!open) throw new Error('the hashing job was dropped');
        await worker.request({ op: 'write', id: this.nextId++, job, fd, position: at, length });
        at += length;
      }
    };
    return {
      write: (chunks, position) => {
        if (!open) return Promise.reject(new Error('the hashing job was dropped'));
        const written = fill(chunks, position);
        writing = written.catch(() => undefined);
        return written;
      },
      digest: async () => {
        try {
          return (await worker.request({ op: 'digest', id: this.nextId++, job })).digest ?? '';
        } finally {
          end();
        }
      },
      drop: () => {
        if (open) worker.post({ op: 'drop', job });
        end();
      },
    };
  }

  /** Stops every thread; requests still waiting fail, and no job starts after. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }

  private leastBusy(): HashWorker {
    const idle = this.workers.reduce<HashWorker | undefined>((best, w) => (best && best.jobs <= w.jobs ? best : w), undefined);
    if (idle && (idle.jobs === 0 || this.workers.length >= this.maxWorkers)) return idle;
    const worker = new HashWorker(this.script, (stopped) => {
      const at = this.workers.indexOf(stopped);
      if (at >= 0) this.workers.splice(at, 1);
    });
    this.workers.push(worker);
    return worker;
  }
}

/**
 * Copies `chunks` into `staging` a buffer-full at a time, yielding the
 * length of each fill (the caller hands it over before the next one).
 */
function* stage(chunks: readonly Buffer[], staging: Buffer): Generator<number> {
  let filled = 0;
  for (const chunk of chunks) {
    for (let from = 0; from < chunk.length; ) {
      const copied = chunk.copy(staging, filled, from);
      filled += copied;
      from += copied;
      if (filled === staging.length) {
        yield filled;
        filled = 0;
      }
    }
  }
  if (filled > 0) yield filled;
}
