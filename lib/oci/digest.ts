import { createHash } from 'node:crypto';

/** The sha256 digest of bytes, in the `sha256:<hex>` form of the OCI image spec. */
export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** True when `bytes` hash to `digest` (sha256 and sha512 are supported; others cannot be checked). */
export function verifiesDigest(bytes: Buffer, digest: string): boolean {
  const [algorithm, encoded] = digest.split(':', 2);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') return false;
  return createHash(algorithm).update(bytes).digest('hex') === encoded;
}
