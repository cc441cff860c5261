import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isCacheKey } from './cache-key';

/** A file found in the store. */
export interface StoredFile {
  key: string;
  size: number;
  mtimeMs: number;
}

/**
 * The cache's files: content under `<dir>/blobs/sha256/<hex>`, the media type
 * of cached manifests under `<dir>/types/sha256/<hex>`, the repositories that
 * hold it under `<dir>/scopes/sha256/<hex>`, downloads in progress under
 * `<dir>/tmp`. A file appears under `blobs` only by an atomic rename
 * after its digest was verified, so readers never see a partial file.
 */
export class BlobStore {
  readonly blobsDir: string;
  readonly typesDir: string;
  /** Which repositories hold each blob (lib/cache/repository-scopes.ts). */
  readonly scopesDir: string;
  readonly tmpDir: string;

  constructor(readonly dir: string) {
    this.blobsDir = path.join(dir, 'blobs', 'sha256');
    this.typesDir = path.join(dir, 'types', 'sha256');
    this.scopesDir = path.join(dir, 'scopes', 'sha256');
    this.tmpDir = path.join(dir, 'tmp');
  }

  /** Creates the directories (owner-only: cached content may come from private registries). */
  async prepare(): Promise<void> {
    for (const dir of [this.blobsDir, this.typesDir, this.scopesDir, this.tmpDir]) await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  }

  blobPath(key: string): string {
    return path.join(this.blobsDir, checked(key));
  }

  typePath(key: string): string {
    return path.join(this.typesDir, checked(key));
  }

  scopePath(key: string): string {
    return path.join(this.scopesDir, checked(key));
  }

  /** A fresh temporary path for a download of `key`. */
  tempPath(key: string): string {
    return path.join(this.tmpDir, `${checked(key)}.${randomBytes(6).toString('hex')}`);
  }

  /** Moves a verified temporary file into place (rename is atomic within one file system). */
  async place(tempPath: string, key: string): Promise<void> {
    await fs.promises.rename(tempPath, this.blobPath(key));
  }

  /** Removes a blob and its media type; a file already gone is fine. */
  async remove(key: string): Promise<void> {
    await fs.promises.rm(this.blobPath(key), { force: true });
    await fs.promises.rm(this.typePath(key), { force: true });
    await fs.promises.rm(this.scopePath(key), { force: true });
  }

  /** Records that a file was used, so recency survives a restart. */
  async touch(key: string, atMs: number): Promise<void> {
    const when = new Date(atMs);
    await fs.promises.utimes(this.blobPath(key), when, when).catch(() => undefined);
  }

  async readType(key: string): Promise<string | undefined> {
    return fs.promises.readFile(this.typePath(key), 'utf8').catch(() => undefined);
  }

  /** The repositories recorded for `key`, one line each; '' when none. */
  async readScopes(key: string): Promise<string> {
    return fs.promises.readFile(this.scopePath(key), 'utf8').catch(() => '');
  }

  /** Adds lines to `key`'s repositories (an append of one short line: never seen half-written). */
  async appendScope(key: string, lines: string): Promise<void> {
    await fs.promises.appendFile(this.scopePath(key), lines, { mode: 0o600 });
  }

  async writeType(key: string, mediaType: string): Promise<void> {
    const temp = path.join(this.tmpDir, `${key}.type.${randomBytes(6).toString('hex')}`);
    try {
      await fs.promises.writeFile(temp, mediaType, { mode: 0o600 });
      await fs.promises.rename(temp, this.typePath(key));
    } catch (error) {
      await fs.promises.rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  /** The stored blobs, read-only (safe while a mirror runs on the directory); a missing directory is empty. */
  async list(): Promise<StoredFile[]> {
    const names = await fs.promises.readdir(this.blobsDir).catch(() => [] as string[]);
    const files: StoredFile[] = [];
    for (const name of names.filter(isCacheKey)) {
      const stat = await fs.promises.stat(path.join(this.blobsDir, name)).catch(() => undefined);
      if (stat?.isFile()) files.push({ key: name, size: stat.size, mtimeMs: stat.mtimeMs });
    }
    return files;
  }

  /**
   * Lists the stored blobs and removes what does not belong: leftovers of
   * downloads that never finished, names that are not sha256 keys, anything
   * that is not a regular file, media types and repositories without their blob.
   */
  async scan(): Promise<{ files: StoredFile[]; removed: string[] }> {
    const removed: string[] = [];
    for (const name of await fs.promises.readdir(this.tmpDir)) {
      await fs.promises.rm(path.join(this.tmpDir, name), { force: true, recursive: true });
      removed.push(path.join('tmp', name));
    }
    const files: StoredFile[] = [];
    for (const entry of await fs.promises.readdir(this.blobsDir, { withFileTypes: true })) {
      const full = path.join(this.blobsDir, entry.name);
      if (!entry.isFile() || !isCacheKey(entry.name)) {
        await fs.promises.rm(full, { force: true, recursive: true });
        removed.push(path.join('blobs', 'sha256', entry.name));
        continue;
      }
      const stat = await fs.promises.stat(full);
      files.push({ key: entry.name, size: stat.size, mtimeMs: stat.mtimeMs });
    }
    const keys = new Set(files.map((f) => f.key));
    for (const dir of [this.typesDir, this.scopesDir]) {
      for (const name of await fs.promises.readdir(dir)) {
        if (!keys.has(name)) await fs.promises.rm(path.join(dir, name), { force: true, recursive: true });
      }
    }
    return { files, removed };
  }
}

/** Every path is built from a checked key; anything else is a programming error. */
function checked(key: string): string {
  if (!isCacheKey(key)) throw new TypeError('not a cache key');
  return key;
}
