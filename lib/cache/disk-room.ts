import fs from 'node:fs';

/** Room on the disk claimed by a download until it settles. */
export interface DiskClaim {
  /** The download the claim is for (its written bytes are on the disk already). */
  follow(download: { written: number }): void;
  release(): void;
}

/** True for the errors of a full disk or an exhausted quota. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * The free space of the file system the cache writes to, against what the
 * downloads in progress will still write. The cache's cap bounds what it
 * keeps, but the disk may hold less (other files, a cap set too high): a
 * blob that cannot fit would fail at the disk's size every time it is asked
 * for, so it is relayed instead (docs/cache.md, "A full disk").
 */
export class DiskRoom {
  /** Downloads that claimed room, with the download once it started. */
  private readonly claims = new Set<{ size: number; download?: { written: number } }>();

  constructor(private readonly dir: string) {}

  /** Claims room for `size` bytes, or answers 'no_space' when the disk cannot take them. */
  async claim(size: number): Promise<DiskClaim | 'no_space'> {
    const free = await this.freeBytes();
    const pending = [...this.claims].reduce((sum, c) => sum + Math.max(0, c.size - (c.download?.written ?? 0)), 0);
    if (free !== undefined && size + pending > free) return 'no_space';
    const claim: { size: number; download?: { written: number } } = { size };
    this.claims.add(claim);
    return {
      follow: (download) => (claim.download = download),
      release: () => this.claims.delete(claim),
    };
  }

  /** A download is over: its bytes are in the store or gone. */
  settled(download: { written: number }): void {
    for (const claim of this.claims) if (claim.download === download) this.claims.delete(claim);
  }

  /** Bytes an unprivileged writer may still use; `undefined` when the file system does not say. */
  private async freeBytes(): Promise<number | undefined> {
    const stats = await fs.promises.statfs(this.dir).catch(() => undefined);
    return stats ? stats.bavail * stats.bsize : undefined;
  }
}
