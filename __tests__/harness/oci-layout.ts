import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { END_OF_ARCHIVE, buildTar, padding, tarHeader, type TarEntry } from './tar';

/** OCI media types the test content uses (image-spec media-types.md). */
export const MediaType = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

/** An OCI platform object. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** An OCI content descriptor (image-spec descriptor.md). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** A blob written to the layout: its descriptor plus the file holding it. */
export interface StoredBlob extends Descriptor {
  path: string;
}

/** A layer blob and the digest of its uncompressed tar (the config's diff_id). */
export interface StoredLayer extends StoredBlob {
  diffId: string;
}

/** Compact JSON bytes, exactly what gets hashed and pushed. */
export const jsonBytes = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** Passes data through while hashing it with sha256. */
function hashTap(): { stream: PassThrough; digest: () => string } {
  const hash = crypto.createHash('sha256');
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => hash.update(chunk));
  return { stream, digest: () => 'sha256:' + hash.digest('hex') };
}

/** An OCI image layout directory (image-spec image-layout.md) that blobs are added to. */
export class OciLayout {
  private tmpCounter = 0;

  constructor(readonly dir: string) {
    fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  }

  /** Path of the blob with `digest` (sha256 only). */
  blobPath(digest: string): string {
    return path.join(this.dir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
  }

  /** Stores `bytes` as a blob with `mediaType`. */
  addBytes(bytes: Buffer, mediaType: string): StoredBlob {
    const digest = 'sha256:' + crypto.createHash('sha256').update(bytes).digest('hex');
    const file = this.blobPath(digest);
    fs.writeFileSync(file, bytes);
    return { mediaType, digest, size: bytes.length, path: file };
  }

  /** A layer from in-memory entries, gzip-compressed unless `gzip` is false. */
  addLayer(entries: TarEntry[], gzip = true): StoredLayer {
    const tar = buildTar(entries);
    const diffId = 'sha256:' + crypto.createHash('sha256').update(tar).digest('hex');
    // gzip level 1 without a name or mtime in the header (Node writes mtime 0).
    const blob = gzip ? this.addBytes(zlib.gzipSync(tar, { level: 1 }), MediaType.layerGzip) : this.addBytes(tar, MediaType.layerTar);
    return { ...blob, diffId };
  }

  /**
   * A gzip layer holding one file `name` of `size` bytes from `data`, streamed to
   * disk: memory use does not grow with the size.
   */
  async addStreamedLayer(name: string, size: number, data: Readable): Promise<StoredLayer> {
    async function* tar(): AsyncGenerator<Buffer> {
      yield tarHeader(name, size, 0o644, false);
      for await (const chunk of data) yield chunk as Buffer;
      yield padding(size);
      yield END_OF_ARCHIVE;
    }
    const tmp = path.join(this.dir, `.tmp-${process.pid}-${this.tmpCounter++}`);
    const plain = hashTap();
    const packed = hashTap();
    let written = 0;
    packed.stream.on('data', (chunk: Buffer) => (written += chunk.length));
    // Level 1: pseudo-random data does not compress, so spend little CPU trying.
    await pipeline(tar(), plain.stream, zlib.createGzip({ level: 1 }), packed.stream, fs.createWriteStream(tmp));
    const digest = packed.digest();
    fs.renameSync(tmp, this.blobPath(digest));
    return { mediaType: MediaType.layerGzip, digest, size: written, path: this.blobPath(digest), diffId: plain.digest() };
  }

  /** Writes index.json naming each descriptor with org.opencontainers.image.ref.name. */
  writeIndex(refs: Record<string, Descriptor>): void {
    const manifests = Object.entries(refs).map(([name, d]) => ({
      ...d,
      annotations: { ...d.annotations, 'org.opencontainers.image.ref.name': name },
    }));
    fs.writeFileSync(path.join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.index, manifests }));
  }
}
