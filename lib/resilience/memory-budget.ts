/**
 * One budget of bytes for the buffers that transfers hold in flight
 * (`: .buffer_memory <size>`, docs/operations.md "Memory"). Optional buffers
 * (a reader's extra read-ahead, a download's newest chunks kept for readers)
 * are taken only when there is room (`tryTake`), so a spent budget means
 * reading from the file instead; a new download's working set waits for
 * room (`take`). Waiters come first: while one waits, `tryTake` refuses, so
 * readers that give a buffer back cannot take it again ahead of a download.
 */
export class MemoryBudget {
  private used = 0;
  private readonly waiting: Array<{ bytes: number; grant: () => void }> = [];
  /** Holders of optional memory, asked to give it back when someone must wait. */
  private readonly reclaimers = new Set<() => void>();

  constructor(
    /** Bytes the budget holds; `Infinity` for none. */
    readonly limit: number,
    private readonly onChange: (used: number) => void = () => undefined,
  ) {}

  /** A budget that never refuses (tests, library use without settings). */
  static unlimited(): MemoryBudget {
    return new MemoryBudget(Number.POSITIVE_INFINITY);
  }

  get inUse(): number {
    return this.used;
  }

  /** True while someone waits: holders of optional buffers should give them back. */
  get contended(): boolean {
    return this.waiting.length > 0;
  }

  /** Takes `bytes` when they fit now and nobody waits; false otherwise. */
  tryTake(bytes: number): boolean {
    if (this.waiting.length > 0 || this.used + bytes > this.limit) return false;
    this.add(bytes);
    return true;
  }

  /**
   * Waits until `bytes` fit, in FIFO order. A request larger than the whole
   * budget waits until nothing else is taken, then proceeds (it would
   * otherwise never start).
   */
  take(bytes: number): Promise<void> {
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.add(bytes);
      return Promise.resolve();
    }
    const waited = new Promise<void>((resolve) => this.waiting.push({ bytes, grant: resolve }));
    for (const reclaim of [...this.reclaimers]) reclaim();
    return waited;
  }

  /**
   * Registers `reclaim`, which gives back optional memory (kept chunks) when
   * a `take` has to wait; returns the function that unregisters it.
   */
  onShortage(reclaim: () => void): () => void {
    this.reclaimers.add(reclaim);
    return () => this.reclaimers.delete(reclaim);
  }

  /** Gives back bytes taken before. */
  give(bytes: number): void {
    if (bytes <= 0) return;
    this.add(-bytes);
    while (this.waiting[0] && this.fits(this.waiting[0].bytes)) {
      const next = this.waiting.shift()!;
      this.add(next.bytes);
      next.grant();
    }
  }

  private fits(bytes: number): boolean {
    return this.used + bytes <= this.limit || this.used === 0;
  }

  private add(bytes: number): void {
    this.used += bytes;
    this.onChange(this.used);
  }
}
