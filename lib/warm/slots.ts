/**
 * At most `size` tasks at once, the rest in FIFO order. A warm job reads a
 * few blobs in parallel, not all of them: the mirror's download limiter is
 * shared with the node's real pulls, which must not queue behind a warm.
 */
export class Slots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finished task hands its slot to the next waiter directly, so no newcomer slips in between.
    if (this.active < this.size) this.active += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
