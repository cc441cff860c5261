import type { BlobStore } from './blob-store';

/**
 * Which repositories the upstream confirmed hold a cached digest: a cache
 * must not widen what the upstream serves. Content cached while pulling
 * repository A is answered under repository B only once the upstream said
 * that B holds it too (it served it under B, or answered a HEAD under B with
 * B's credentials). Kept next to the content (`<dir>/scopes/sha256/<hex>`,
 * one `<registry> <repository>` line each), so what was confirmed survives a
 * restart and can still be served while the upstream is down; removed with
 * the content.
 */
export class RepositoryScopes {
  /** Confirmed `<registry> <repository>` lines by cache key, read from disk on first use. */
  private readonly byKey = new Map<string, Promise<Set<string>>>();

  constructor(private readonly store: BlobStore) {}

  /** True when the upstream `host` confirmed that `repository` holds `key`. */
  async has(host: string, repository: string, key: string): Promise<boolean> {
    return (await this.lines(key)).has(line(host, repository));
  }

  /** Records that `repository` of `host` holds `key` (the upstream served or confirmed it there). */
  async add(host: string, repository: string, key: string): Promise<void> {
    const lines = await this.lines(key);
    const entry = line(host, repository);
    if (lines.has(entry)) return;
    lines.add(entry);
    // Best effort: a confirmation that did not reach the disk costs one HEAD after a restart.
    await this.store.appendScope(key, `${entry}\n`).catch(() => undefined);
  }

  /** The content is gone (evicted, pruned): so are its confirmations. */
  forget(key: string): void {
    this.byKey.delete(key);
  }

  private lines(key: string): Promise<Set<string>> {
    let lines = this.byKey.get(key);
    if (!lines) {
      lines = this.store.readScopes(key).then((text) => new Set(text.split('\n').filter((l) => l !== '')));
      this.byKey.set(key, lines);
    }
    return lines;
  }
}

function line(host: string, repository: string): string {
  return `${host} ${repository}`;
}
