// @ts-check
'use strict';
/**
 * The thread that hashes cache downloads and writes them to their files
 * (started by `HashWorkers`, lib/cache/hash-workers.ts). SHA-256 of a large
 * blob costs about as much CPU as receiving and sending it; done here it runs
 * on another core while the main thread keeps relaying.
 *
 * Plain JavaScript so that a worker thread can load it as it is, from the
 * sources as from the built package.
 *
 * Messages in: `{ op: 'open', job, staging }` (a SharedArrayBuffer the main
 * thread copies each batch of bytes into), `{ op: 'write', id, job, fd,
 * position, length }` (the first `length` bytes of the staging buffer),
 * `{ op: 'digest', id, job }`, `{ op: 'drop', job }`. Answers to requests
 * with an id: `{ id }`, `{ id, digest }` or `{ id, error: { message, code } }`.
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const { isMainThread, parentPort } = require('node:worker_threads');

/**
 * Writes every byte of `chunks` at `position`. writev(2) may write fewer
 * bytes than asked without an error (a full disk, RLIMIT_FSIZE): the rest is
 * written again, so the file never holds a hole the hash (computed over the
 * bytes received) would not notice. A write that makes no progress throws.
 *
 * @param {number} fd
 * @param {Uint8Array[]} chunks
 * @param {number} position
 * @param {(fd: number, buffers: Uint8Array[], position: number) => number} [writev]
 */
function writeFully(fd, chunks, position, writev = fs.writevSync) {
  let rest = chunks;
  let at = position;
  let left = rest.reduce((sum, c) => sum + c.length, 0);
  while (left > 0) {
    const written = writev(fd, rest, at);
    if (written <= 0) throw new Error(`short write: 0 of ${left} bytes reached the cache file`);
    at += written;
    left -= written;
    rest = remainder(rest, written);
  }
}

/**
 * The buffers left to write once `skip` bytes of them are in the file.
 *
 * @param {Uint8Array[]} buffers
 * @param {number} skip
 */
function remainder(buffers, skip) {
  /** @type {Uint8Array[]} */
  const rest = [];
  let left = skip;
  for (const buffer of buffers) {
    if (left >= buffer.length) {
      left -= buffer.length;
      continue;
    }
    rest.push(left > 0 ? buffer.subarray(left) : buffer);
    left = 0;
  }
  return rest;
}

/**
 * Answers the main thread's requests on `port`, one hash per job.
 *
 * @param {import('node:worker_threads').MessagePort} port
 */
function serve(port) {
  /** @type {Map<number, { hash: import('node:crypto').Hash; staging: Uint8Array }>} */
  const jobs = new Map();
  port.on('message', (message) => {
    if (message.op === 'open') return void jobs.set(message.job, { hash: createHash('sha256'), staging: new Uint8Array(message.staging) });
    if (message.op === 'drop') return void jobs.delete(message.job);
    const job = jobs.get(message.job);
    try {
      if (!job) throw new Error(`no hashing job ${message.job}`);
      if (message.op === 'digest') {
        jobs.delete(message.job);
        return port.postMessage({ id: message.id, digest: job.hash.digest('hex') });
      }
      const bytes = job.staging.subarray(0, message.length);
      job.hash.update(bytes);
      writeFully(message.fd, [bytes], message.position);
      port.postMessage({ id: message.id });
    } catch (error) {
      // The job is over: the main thread fails its download and asks nothing more.
      jobs.delete(message.job);
      const { message: text, code } = /** @type {NodeJS.ErrnoException} */ (error);
      port.postMessage({ id: message.id, error: { message: text, code } });
    }
  });
}

if (!isMainThread && parentPort) serve(parentPort);

module.exports = { writeFully };
