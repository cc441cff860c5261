import fs from 'node:fs';
import type { Writable } from 'node:stream';
import type { MemoryBudget } from '../resilience/memory-budget';

/** Bytes per read: large reads keep syscalls per GiB low. */
const CHUNK = 1024 * 1024;
/** Chunks per response being read or written at once: one being read while the others are being written. */
const IN_FLIGHT = 3;
/**
 * The one buffer a reader gets when the memory budget is spent: every
 * response keeps moving, at smaller reads, without waiting for others.
 */
const FLOOR = 64 * 1024;

/**
 * A file being sent: complete, or still growing (a download in progress).
 */
export interface RangeSource {
  readonly fd: number;
  /** How many bytes from the start may be read now, or why no more ever will. */
  readable(): number | Error;
  /** Calls `callback` once when more may be readable; returns a function that cancels it. */
  onProgress(callback: () => void): () => void;
  /**
   * Readable bytes from `position` (up to `end`, exclusive) that are still
   * in memory, to send without reading the file; `undefined` when not.
   */
  bytesAt?(position: number, end: number): Buffer | undefined;
}

/** A complete file: everything is readable at once. */
export const completeFile = (fd: number): RangeSource => ({
  fd,
  readable: () => Number.MAX_SAFE_INTEGER,
  onProgress: () => () => undefined,
});

/**
 * Sends bytes `start..end` (inclusive) of a file to `res` as they become
 * readable, reading into a few buffers that are reused once the socket has
 * taken their bytes (the write callback). A file stream allocates a new buffer per read instead:
 * 256 MiB of short-lived buffers per 256 MiB blob, which made V8 run a full
 * mark-compact every ~64 MiB (external memory pressure) and cost more CPU
 * than the copying itself. Bytes the source still holds in memory (a
 * download's newest chunks) are sent as they are, without a read.
 * Backpressure is the number of chunks in flight: at most `IN_FLIGHT` wait
 * in a slow client's socket. Read buffers come from `memory` (the mirror's
 * `.buffer_memory`); when it is spent a response reads through one small
 * buffer of its own ({@link FLOOR}) instead.
 *
 * Resolves once the response is finished; on a read error, a file shorter
 * than expected or a client that went away, destroys `res` and rejects (the
 * client must never see a truncated body as complete). `onSent` learns the
 * bytes the socket accepted either way. The caller keeps the descriptor
 * open until this settles.
 */
export function sendFileRange(source: RangeSource, res: Writable, start: number, end: number, onSent: (bytes: number) => void, memory?: MemoryBudget): Promise<void> {
  return new Promise((resolve, reject) => {
    let cancelWait: (() => void) | undefined;
    const free: Buffer[] = [];
    /** Buffers this response allocated, and the bytes of them taken from `memory`. */
    let owned = 0;
    let budgeted = 0;
    const fromBudget = new WeakSet<Buffer>();
    let inFlight = 0;
    let position = start;
    let sent = 0;
    let reading = false;
    let failure: Error | undefined;
    let done = false;

    const settle = (): void => {
      // A read in flight still uses fd: settle only after it returned.
      if (done || reading || (failure === undefined && !res.writableFinished)) return;
      done = true;
      cancelWait?.();
      res.off('close', onClose);
      memory?.give(budgeted);
      onSent(sent);
      if (failure) reject(failure);
      else resolve();
    };
    const fail = (error: Error): void => {
      failure ??= error;
      res.destroy(failure);
      settle();
    };
    const onClose = (): void => {
      if (!res.writableFinished) failure ??= prematureClose();
      settle();
    };
    /** Writes `chunks` in one system call (corked); `buffer` (a read buffer) is reused once the socket took them. */
    const send = (chunks: Buffer[], buffer?: Buffer): void => {
      const length = chunks.reduce((sum, c) => sum + c.length, 0);
      position += length;
      res.cork();
      chunks.forEach((chunk, i) => {
        if (i < chunks.length - 1) return void res.write(chunk);
        res.write(chunk, (writeError) => {
          if (writeError) return;
          inFlight -= 1;
          sent += length;
          if (buffer) keepOrGive(buffer);
          pump();
        });
      });
      res.uncork();
      if (position > end) res.end();
    };
    /**
     * Up to `CHUNK` bytes from `position` that the source holds in memory:
     * its chunks may be small (an HTTPS upstream's are 16 KiB TLS records),
     * and sending them one write each would cost a system call per record.
     */
    const inMemory = (limit: number): Buffer[] => {
      const views: Buffer[] = [];
      const stop = Math.min(end + 1, limit, position + CHUNK);
      let at = position;
      while (at < stop) {
        const view = source.bytesAt?.(at, stop);
        if (!view) break;
        views.push(view);
        at += view.length;
      }
      return views;
    };
    const pump = (): void => {
      if (reading || failure || position > end || cancelWait || inFlight === IN_FLIGHT) return;
      const limit = source.readable();
      if (limit instanceof Error) return fail(limit);
      if (position >= limit) {
        cancelWait = source.onProgress(() => {
          cancelWait = undefined;
          pump();
        });
        return;
      }
      inFlight += 1;
      const held = inMemory(limit);
      if (held.length > 0) {
        send(held);
        return pump();
      }
      // At most IN_FLIGHT buffers ever exist: one per chunk in flight.
      const buffer = free.pop() ?? allocate();
      if (!buffer) {
        // No room for another: the ones in flight come back with their write callbacks.
        inFlight -= 1;
        return;
      }
      reading = true;
      const length = Math.min(buffer.length, end - position + 1, limit - position);
      fs.read(source.fd, buffer, 0, length, position, (error, bytesRead) => {
        reading = false;
        if (failure) return settle();
        if (error) return fail(error);
        if (bytesRead === 0) return fail(new Error(`file ended at byte ${position}, before byte ${end}`));
        // The socket holds this view until the write callback; only then is the buffer reused.
        send([bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead)], buffer);
        pump();
      });
    };
    const allocate = (): Buffer | undefined => {
      const size = Math.min(CHUNK, end - start + 1);
      if (!memory || memory.tryTake(size)) {
        const buffer = Buffer.allocUnsafeSlow(size);
        if (memory) fromBudget.add(buffer);
        budgeted += memory ? size : 0;
        owned += 1;
        return buffer;
      }
      if (owned > 0) return undefined;
      owned += 1;
      return Buffer.allocUnsafeSlow(Math.min(FLOOR, size));
    };
    /** A buffer back from the socket is reused, unless a download waits for the budget it came from. */
    const keepOrGive = (buffer: Buffer): void => {
      if (!memory?.contended || !fromBudget.has(buffer)) return void free.push(buffer);
      fromBudget.delete(buffer);
      owned -= 1;
      budgeted -= buffer.length;
      memory.give(buffer.length);
    };
    res.on('close', onClose);
    pump();
  });
}

function prematureClose(): Error {
  return Object.assign(new Error('the client closed the connection before the body was sent'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
