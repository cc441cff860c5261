import type { Readable } from 'node:stream';
import { MirrorError } from '../errors';

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
