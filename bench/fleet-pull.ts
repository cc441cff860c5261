import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

const MANIFEST_ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';

/** One node's pull: wall time, bytes, and whether every digest verified. */
export interface NodePull {
  seconds: number;
  bytes: number;
  verified: boolean;
  error?: string;
}

function get(url: string, accept?: string): Promise<{ status: number; body?: Buffer; digest: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: accept ? { accept } : {}, agent: false }, (res) => {
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
        if (accept) chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: accept ? Buffer.concat(chunks) : undefined, digest: `sha256:${hash.digest('hex')}`, bytes }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/**
 * Pulls `repo:tag` through a node mirror as a runtime does (manifest by tag,
 * then config and layers at once), hashing every blob as it streams.
 */
export async function pullThroughNode(base: string, ns: string, repo: string, tag: string): Promise<NodePull> {
  const started = process.hrtime.bigint();
  const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  const query = `?ns=${encodeURIComponent(ns)}`;
  try {
    const manifest = await get(`${base}/v2/${repo}/manifests/${tag}${query}`, MANIFEST_ACCEPT);
    if (manifest.status !== 200 || !manifest.body) throw new Error(`manifest: HTTP ${manifest.status}`);
    const parsed = JSON.parse(manifest.body.toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
    const digests = [parsed.config.digest, ...parsed.layers.map((l) => l.digest)];
    const blobs = await Promise.all(digests.map((d) => get(`${base}/v2/${repo}/blobs/${d}${query}`).then((r) => ({ ...r, want: d }))));
    const verified = blobs.every((b) => b.status === 200 && b.digest === b.want);
    return { seconds: seconds(), bytes: blobs.reduce((sum, b) => sum + b.bytes, 0), verified };
  } catch (err) {
    return { seconds: seconds(), bytes: 0, verified: false, error: err instanceof Error ? err.message : String(err) };
  }
}

// Apache combined format, as Distribution writes its access log: the byte count follows the status.
const ACCESS_LINE = /"(?:GET|HEAD) (\S+) HTTP\/[\d.]+" (\d{3}) (\d+|-)/;

/** Bytes a Distribution instance sent in answers, from its access log (lines after `fromLine`), and how many blob GETs. */
export function egress(logPath: string, fromLine = 0): { bytes: number; blobGets: number; lines: number } {
  const lines = fs.readFileSync(logPath, 'utf8').split('\n');
  let bytes = 0;
  let blobGets = 0;
  for (const line of lines.slice(fromLine)) {
    const match = ACCESS_LINE.exec(line);
    if (!match) continue;
    bytes += Number(match[3]) || 0;
    if (/\/blobs\/sha256:/.test(match[1] ?? '') && (match[2] === '200' || match[2] === '206') && line.includes('"GET ')) blobGets += 1;
  }
  return { bytes, blobGets, lines: lines.length };
}
