import { Writable } from 'node:stream';
import type { Download } from '../../../lib/cache/download';
import { sendFileRange } from '../../../lib/http/send-file';
import { downloadSource } from '../../../lib/cache/serve-blob';

/** What one reader of a download got. */
export interface ReadAlong {
  /** Every byte it was given, and why it stopped early if it did. */
  result: Promise<{ data: Buffer; error?: Error }>;
  /** Resolves with the first bytes it is given. */
  firstChunk: Promise<void>;
}

/** Reads a whole download the way a client of a cache miss does (`sendFileRange` over the growing file). */
export function readAlong(download: Download): ReadAlong {
  const chunks: Buffer[] = [];
  let first: () => void = () => undefined;
  const firstChunk = new Promise<void>((resolve) => (first = resolve));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      // sendFileRange reuses its buffers once this callback ran: keep a copy.
      chunks.push(Buffer.from(chunk));
      first();
      callback();
    },
  });
  // A failed download destroys the sink with its error; the promise reports it.
  sink.on('error', () => undefined);
  download.retain();
  const result = sendFileRange(downloadSource(download), sink, 0, download.size - 1, () => undefined)
    .then(
      () => ({ data: Buffer.concat(chunks) }),
      (error: Error) => ({ data: Buffer.concat(chunks), error }),
    )
    .finally(() => download.release());
  return { result, firstChunk };
}
