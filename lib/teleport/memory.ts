import type { ResolvedManifest } from '../oci/resolved-manifest';
import type { VerifiedManifest } from '../referrers/source';

/** A manifest the mirror wrote itself (a rewritten index), kept so it can be served by digest. */
export interface ProducedManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  /** The upstream manifest it was made from: a request for it is authorized by asking for this one. */
  from: string;
  /** The `Lifec-Teleport` value it is served with. */
  mark: string;
}

/** A produced manifest as `.resolve` leaves it on the request (marked, so a person sees where it came from). */
export function producedManifest(produced: ProducedManifest): ResolvedManifest {
  const { mediaType, digest, bytes, mark } = produced;
  return { status: 200, mediaType, digest, size: bytes.length, body: bytes, headers: { 'Lifec-Teleport': mark } };
}

/** Total bytes kept; the oldest go first. Indexes are small (a few KiB). */
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

/**
 * Manifest bytes by (registry, repository, digest), least recently used
 * evicted first. Content-addressed, so an entry never goes stale.
 *
 * The mirror keeps two: manifests it produced (containerd resolves a tag to
 * a rewritten index's digest and then GETs that digest from the mirror; the
 * registry has never seen it, so the mirror must answer from here) and
 * streamable manifests it fetched and verified (so a burst of pulls reads
 * each once).
 */
export class ManifestMemory<T extends { digest: string; bytes: Buffer }> {
  private readonly entries = new Map<string, T>();
  private readonly loading = new Map<string, Promise<T>>();
  private bytes = 0;

  constructor(private readonly maxBytes = DEFAULT_MAX_BYTES) {}

  put(registry: string, repository: string, manifest: T): void {
    const id = idOf(registry, repository, manifest.digest);
    this.remove(id);
    this.entries.set(id, manifest);
    this.bytes += manifest.bytes.length;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes || entry === manifest) break;
      this.remove(oldest);
    }
  }

  get(registry: string, repository: string, digest: string): T | undefined {
    const id = idOf(registry, repository, digest);
    const entry = this.entries.get(id);
    if (entry) {
      // Most recently used last, so eviction takes the least recently used.
      this.entries.delete(id);
      this.entries.set(id, entry);
    }
    return entry;
  }

  /**
   * The entry, or the one `load` produces and keeps; concurrent callers for
   * the same manifest share one load (a burst of pulls reads it once).
   */
  async getOrLoad(registry: string, repository: string, digest: string, load: () => Promise<T>): Promise<T> {
    const known = this.get(registry, repository, digest);
    if (known) return known;
    const id = idOf(registry, repository, digest);
    let pending = this.loading.get(id);
    if (!pending) {
      pending = load()
        .then((loaded) => (this.put(registry, repository, loaded), loaded))
        .finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  private remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.bytes -= entry.bytes.length;
    this.entries.delete(id);
  }
}

const idOf = (registry: string, repository: string, digest: string): string => `${registry}/${repository}@${digest}`;

/** The manifests teleport keeps in memory for one mirror. */
export interface TeleportMemory {
  /** Rewritten indexes, served by digest (`.resolve` looks here first for a digest). */
  produced: ManifestMemory<ProducedManifest>;
  /** Streamable manifests read and verified, so a burst of pulls reads each once. */
  verified: ManifestMemory<VerifiedManifest>;
}

export function createTeleportMemory(): TeleportMemory {
  return { produced: new ManifestMemory(), verified: new ManifestMemory(8 * 1024 * 1024) };
}
