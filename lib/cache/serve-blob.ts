import fs from 'node:fs';
import type { Request, Response } from 'express';
import type { CachedFile } from './blob-source';
import type { Download } from './download';
import { MirrorError, UpstreamError, ociErrorBody } from '../errors';
import type { MemoryBudget } from '../resilience/memory-budget';
import { Header } from '../oci/mediatypes';
import { ifRangeMatches, parseRange, type ByteRange } from '../http/range';
import { completeFile, sendFileRange, type RangeSource } from '../http/send-file';

/** Headers every blob answer from the mirror's own bytes carries (as Distribution sends them). */
function blobHeaders(res: Response, digest: string, size: number): void {
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader(Header.contentDigest, digest);
  res.setHeader('ETag', `"${digest}"`);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Length', size);
}

/**
 * Sets status and headers for a blob of `size` bytes and returns the range
 * to send, or `undefined` when the answer has no body (HEAD, 416). `Range`
 * answers 206/416 per RFC 9110; `If-Range` with another validator sends it all.
 */
export function startBlobAnswer(req: Request, res: Response, digest: string, size: number): ByteRange | undefined {
  const range = ifRangeMatches(req.get('if-range'), digest) ? parseRange(req.get('range'), size) : undefined;
  if (range === 'unsatisfiable') {
    res.status(416).setHeader('Content-Range', `bytes */${size}`);
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Content-Length', Buffer.byteLength(unsatisfiableBody(size)));
    return undefined;
  }
  const part = range ?? { start: 0, end: size - 1 };
  blobHeaders(res, digest, part.end - part.start + 1);
  if (range) res.status(206).setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
  else res.status(200);
  return req.method === 'HEAD' || size === 0 ? undefined : part;
}

/** A 416 carries an OCI error body like every error of the mirror (RFC 9110 §15.5.17: `Content-Range` says the size). */
function unsatisfiableBody(size: number): string {
  return ociErrorBody('SIZE_INVALID', 'the range starts past the end of the blob', { size });
}

/** Ends an answer {@link startBlobAnswer} gave no range to send: a HEAD, an empty blob, or a 416 with its error body. */
export function endWithoutBlob(req: Request, res: Response): void {
  const size = Number(/\/(\d+)$/.exec(String(res.getHeader('Content-Range') ?? ''))?.[1]);
  res.end(res.statusCode === 416 && req.method !== 'HEAD' ? unsatisfiableBody(size) : undefined);
}

/** Counts the body bytes that reached the response, also when the stream broke. */
export type SentCounter = (bytes: number) => void;

/**
 * Serves a verified cached file. Returns false, having sent nothing, when the
 * file cannot be opened (evicted, pruned, damaged permissions): the caller
 * treats it as a miss. Out of file descriptors (EMFILE, ENFILE) the file is
 * still good: the client is told to come back (503 with `Retry-After`).
 */
export async function serveCachedFile(req: Request, res: Response, digest: string, file: CachedFile, onSent: SentCounter, memory?: MemoryBudget): Promise<boolean> {
  const handle = await fs.promises.open(file.path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EMFILE' || error.code === 'ENFILE') {
      throw new MirrorError(503, 'UNAVAILABLE', 'the mirror has no file descriptor left; try again', { cause: error, headers: { 'Retry-After': '1' } });
    }
    return undefined;
  });
  if (!handle) return false;
  const part = startBlobAnswer(req, res, digest, file.size);
  if (!part) {
    await handle.close();
    endWithoutBlob(req, res);
    return true;
  }
  try {
    await sendFileRange(completeFile(handle.fd), res, part.start, part.end, onSent, memory);
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Serves a blob from a download in progress, as its bytes reach the file
 * (the last one only once the digest is verified, see `Download`). Returns
 * false, having sent nothing, when the download is over and its file closed:
 * the caller looks the blob up again (it is cached by then).
 */
export async function serveDownload(req: Request, res: Response, digest: string, download: Download, onSent: SentCounter, memory?: MemoryBudget): Promise<boolean> {
  // Joined just after it failed: an error answer now beats headers and a cut connection.
  if (download.state === 'failed') throw new UpstreamError(502, 'UNAVAILABLE', 'the upstream download of this blob failed', { cause: download.error });
  if (!download.retain()) return false;
  const part = startBlobAnswer(req, res, digest, download.size);
  if (!part) {
    download.release();
    endWithoutBlob(req, res);
    return true;
  }
  try {
    await sendFileRange(downloadSource(download), res, part.start, part.end, onSent, memory);
  } finally {
    download.release();
  }
  return true;
}

/** A download as a growing file; a failed download fails its readers. */
export function downloadSource(download: Download): RangeSource {
  return {
    fd: download.fd,
    readable: () => (download.state === 'failed' ? (download.error ?? new Error('the download failed')) : download.readable),
    onProgress: (callback) => {
      download.once('progress', callback);
      return () => download.off('progress', callback);
    },
    bytesAt: (position, end) => download.bytesAt(position, end),
  };
}
