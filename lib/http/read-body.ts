import type { Readable } from 'node:stream';
import { MirrorError, UpstreamError } from '../errors';

/**
 * Reads a small body (a manifest, a token answer) into memory, refusing more
 * than `limit` bytes so a hostile upstream cannot exhaust the mirror's memory.
 */
export async function readLimited(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      body.destroy();
      throw new MirrorError(502, 'MANIFEST_INVALID', `upstream answer is larger than ${limit} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}

/**
 * {@link readLimited} for an upstream answer the mirror must read whole
 * before it answers (a manifest, a tag list, a referrers index): an upstream
 * that breaks off mid-body is a bad gateway (502), not a fault of the mirror.
 * When `signal` aborted (the client left), the abort is passed on as it is.
 */
export async function readUpstreamBody(body: Readable, limit: number, host: string, signal?: AbortSignal): Promise<Buffer> {
  try {
    return await readLimited(body, limit);
  } catch (err) {
    if (err instanceof MirrorError || signal?.aborted) throw err;
    throw new UpstreamError(502, 'UNAVAILABLE', `upstream ${host} broke off its answer before the end`, { cause: err });
  }
}
