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

  /**
   * Drops every resolution of a tag, whatever `Accept` it was asked with: the
   * tag was pushed or deleted through the mirror, so the next pull must ask.
   */
  forgetTag(host: string, repository: string, tag: string): void {
    const prefix = TagCache.key(host, repository, tag, '');
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(prefix)) this.entries.delete(key);
    }
  }

  /** Drops the tags of `repository` that resolved to `digest` (the manifest was deleted through the mirror). */
  forgetDigest(host: string, repository: string, digest: string): void {
    const prefix = `${host}\u0000${repository}\u0000`;
    for (const [key, entry] of [...this.entries]) {
      if (key.startsWith(prefix) && entry.digest === digest) this.entries.delete(key);
    }
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
