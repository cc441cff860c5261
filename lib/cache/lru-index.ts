/** One stored entry. */
export interface IndexEntry {
  key: string;
  size: number;
  /** When it was last served or stored (clock ms). */
  usedAt: number;
}

/**
 * The cache's entries in least-recently-used order (a `Map` keeps insertion
 * order: touching an entry moves it to the end) with their total size.
 */
export class LruIndex {
  private readonly entries = new Map<string, IndexEntry>();
  private total = 0;

  get size(): number {
    return this.total;
  }

  get count(): number {
    return this.entries.size;
  }

  get(key: string): IndexEntry | undefined {
    return this.entries.get(key);
  }

  /** Adds or replaces an entry as the most recently used. */
  add(key: string, size: number, usedAt: number): void {
    this.remove(key);
    this.entries.set(key, { key, size, usedAt });
    this.total += size;
  }

  /** Marks an entry as just used. */
  touch(key: string, usedAt: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    entry.usedAt = usedAt;
    this.entries.set(key, entry);
  }

  remove(key: string): IndexEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.total -= entry.size;
    return entry;
  }

  /** Least recently used first. */
  values(): IterableIterator<IndexEntry> {
    return this.entries.values();
  }

  /**
   * Removes least recently used entries until the total is at most `maxBytes`
   * and returns them (the caller deletes the files). `keep` is never chosen.
   */
  evictTo(maxBytes: number, keep?: string): IndexEntry[] {
    // Called after every add: under the cap (the usual case) copies nothing.
    if (this.total <= maxBytes) return [];
    const evicted: IndexEntry[] = [];
    for (const entry of [...this.entries.values()]) {
      if (this.total <= maxBytes) break;
      if (entry.key === keep) continue;
      this.remove(entry.key);
      evicted.push(entry);
    }
    return evicted;
  }
}
