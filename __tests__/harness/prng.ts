import crypto from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 1 << 20;

function keystream(seed: string): crypto.Cipher {
  // AES-256-CTR over zeros is a fast, seeded, incompressible byte stream.
  const key = crypto.createHash('sha256').update(`lifec-test-data:${seed}`).digest();
  return crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
}

/** `size` pseudo-random bytes determined by `seed` (small sizes only: held in memory). */
export function randomBytes(seed: string, size: number): Buffer {
  return keystream(seed).update(Buffer.alloc(size));
}

/** The same bytes as {@link randomBytes}, streamed in 1 MiB chunks. */
export function randomStream(seed: string, size: number): Readable {
  const cipher = keystream(seed);
  const zeros = Buffer.alloc(CHUNK);
  let left = size;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, CHUNK);
      left -= n;
      this.push(cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n)));
    },
  });
}
