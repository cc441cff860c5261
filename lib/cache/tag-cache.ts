import type { Clock } from '../clock';

/** What a tag resolved to. */
export interface TagEntry {
  digest: string;
  mediaType: string;
  size: number;
  storedAt: number;
}

/**
 * Tag → digest resolutions, per upstream, repository, tag and `Accept`
 * (content negotiation can give one tag different manifests). Fresh for
 * `ttlMs`; older entries are kept to answer when the upstream fails
 * (stale-on-error) and are dropped oldest first past `maxEntries`.
 */
export class TagCache {
  private readonly entries = new Map<string, TagEntry>();

  constructor(
    readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly maxEntries = 10_000,
  ) {}

  static key(host: string, repository: string, tag: string, accept: string): string {
    return `${host}\u0000${repository}\u0000${tag}\u0000${accept}`;
  }

  /** The entry and whether it is still fresh. */
  get(key: string): { entry: TagEntry; fresh: boolean } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    return { entry, fresh: this.clock.now() - entry.storedAt < this.ttlMs };
  }

  set(key: string, value: Omit<TagEntry, 'storedAt'>): void {
    this.entries.delete(key);
    this.entries.set(key, { ...value, storedAt: this.clock.now() });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
