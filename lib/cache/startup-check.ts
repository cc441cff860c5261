import type { Logger } from 'pino';
import type { BlobStore } from './blob-store';
import { hashFile } from './hash-file';

/**
 * Re-hashes the files found at start before they are served. A file under
 * `blobs/` was verified when it was placed, but a crash, a full disk or a
 * hand edit can leave it truncated or foreign; only hashing catches all of
 * those (a size check cannot: the expected size is not stored). Files are
 * checked one at a time in the background; a request for a file not yet
 * checked has it checked first, so nothing unchecked is ever served.
 */
export class StartupCheck {
  private readonly pending = new Set<string>();
  private readonly running = new Map<string, Promise<boolean>>();
  private stopped = false;

  constructor(
    private readonly store: BlobStore,
    private readonly logger: Logger,
    private readonly onBad: (key: string) => void,
  ) {}

  get remaining(): number {
    return this.pending.size;
  }

  /** Queues keys and checks them in the background, in the given order. */
  start(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.pending.add(key);
    return this.drain();
  }

  /** True when `key` is fine to serve (checked now if it was still pending). */
  async verified(key: string): Promise<boolean> {
    if (!this.pending.has(key)) return true;
    return this.check(key);
  }

  stop(): void {
    this.stopped = true;
  }

  private async drain(): Promise<void> {
    for (const key of [...this.pending]) {
      if (this.stopped) return;
      // Checked meanwhile by a lookup: hashing again could race a fresh download
      // of the same key and remove its verified file.
      if (!this.pending.has(key)) continue;
      await this.check(key);
    }
    if (!this.stopped) this.logger.info({ dir: this.store.dir }, 'cache check done');
  }

  private check(key: string): Promise<boolean> {
    let result = this.running.get(key);
    if (!result) {
      result = this.hash(key);
      this.running.set(key, result);
    }
    return result;
  }

  private async hash(key: string): Promise<boolean> {
    try {
      const hex = await hashFile(this.store.blobPath(key)).catch(() => undefined);
      if (hex === key) return true;
      this.logger.warn({ digest: `sha256:${key}` }, 'cache: removing a file whose content does not match its digest');
      // Forgotten even when removing fails: a bad file is never served, and the
      // next start removes it. A rejection here would fail every later lookup.
      await this.store.remove(key).catch((error: Error) => {
        this.logger.error({ digest: `sha256:${key}`, err: error.message }, 'cache: could not remove a bad file');
      });
      this.onBad(key);
      return false;
    } finally {
      // Only now: until the file is gone, a concurrent lookup must still wait for this check.
      this.pending.delete(key);
      this.running.delete(key);
    }
  }
}
