/**
 * The cache is keyed by sha256 digests only: the key is the 64 lowercase hex
 * characters, checked here, so no path is ever built from anything else a
 * client sent. Other algorithms (sha512, unregistered ones) pass through uncached.
 */
const SHA256 = /^sha256:([a-f0-9]{64})$/;
const HEX = /^[a-f0-9]{64}$/;

/** The cache key of `digest`, or `undefined` when the cache does not store that digest. */
export function cacheKey(digest: string): string | undefined {
  return SHA256.exec(digest)?.[1];
}

/** True for a string that can be a cache key (a file name found on disk, a CLI argument). */
export function isCacheKey(name: string): boolean {
  return HEX.test(name);
}

export function digestOf(key: string): string {
  return `sha256:${key}`;
}
