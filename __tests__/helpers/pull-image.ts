import { createHash } from 'node:crypto';
import http from 'node:http';

const MANIFEST_ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';

/** One blob read through a mirror: whether it arrived whole and hashed to its digest. */
export interface BlobRead {
  status: number;
  digest: string;
  bytes: number;
  complete: boolean;
  verified: boolean;
  endpoint?: string;
}

/** GETs `url`, hashing the body as it streams (a 64 MiB layer is never held in memory). */
export function readBlob(url: string, digest: string, headers: http.OutgoingHttpHeaders = {}): Promise<BlobRead> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent: false }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      const done = (complete: boolean): void => {
        const actual = `sha256:${hash.digest('hex')}`;
        const endpoint = res.headers['lifec-endpoint'] as string | undefined;
        resolve({ status: res.statusCode ?? 0, digest, bytes, complete, verified: complete && res.statusCode === 200 && actual === digest, endpoint });
      };
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      res.on('end', () => done(res.complete));
      res.on('error', () => done(false));
    }).on('error', reject);
  });
}

/** An image pulled through a mirror the way a runtime does: manifest by tag, then config and layers by digest. */
export interface PulledImage {
  manifestDigest: string;
  blobs: BlobRead[];
  /** Every blob arrived whole and matched its digest. */
  verified: boolean;
}

/** Pulls `repo:tag` of registry `ns` through the mirror at `base` (`http://127.0.0.1:PORT`), verifying every digest. */
export async function pullImage(base: string, ns: string, repo: string, tag: string): Promise<PulledImage> {
  const query = `?ns=${encodeURIComponent(ns)}`;
  const manifest = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    http.get(`${base}/v2/${repo}/manifests/${tag}${query}`, { headers: { accept: MANIFEST_ACCEPT }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
  if (manifest.status !== 200) throw new Error(`manifest ${repo}:${tag} through ${base}: ${manifest.status} ${manifest.body.toString()}`);
  const parsed = JSON.parse(manifest.body.toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
  const digests = [parsed.config.digest, ...parsed.layers.map((l) => l.digest)];
  const blobs = await Promise.all(digests.map((d) => readBlob(`${base}/v2/${repo}/blobs/${d}${query}`, d)));
  const manifestDigest = `sha256:${createHash('sha256').update(manifest.body).digest('hex')}`;
  return { manifestDigest, blobs, verified: blobs.every((b) => b.verified) };
}
