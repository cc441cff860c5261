import crypto from 'node:crypto';
import http from 'node:http';
import { curlDownload } from './curl';
import { machineBusyMs } from './machine';
import type { BlobRun, BenchResults } from './results';
import type { BenchEnv, Candidate } from './setup';
import { MiB, rotate } from './stats';

/** GETs `url` and hashes the body: the untimed correctness check before timing a path. */
export function fetchDigest(url: string, headers: Record<string, string>): Promise<{ status: number; digest: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent: false }, (res) => {
      const hash = crypto.createHash('sha256');
      res.on('data', (chunk: Buffer) => hash.update(chunk));
      res.once('error', reject);
      res.once('end', () => resolve({ status: res.statusCode ?? 0, digest: `sha256:${hash.digest('hex')}` }));
    }).once('error', reject);
  });
}

function blobCandidates(env: BenchEnv): Candidate[] {
  const c = env.candidates;
  return [c.direct, c.nginx, c.distributionCold, c.distributionWarm, c.mirrorCold, c.mirrorWarm, c.mirrorRelay];
}

/**
 * Blob throughput of the large layer: each path once untimed (checks the
 * digest, fills page cache and warm caches), then rounds of one curl download
 * per path, the order rotating round by round.
 */
export async function runBlobPhase(env: BenchEnv, rounds: number, results: BenchResults, log: (line: string) => void): Promise<void> {
  const layer = env.images.large?.layers.at(-1);
  if (!layer) throw new Error('the large test image has no layer');
  const blobPath = `/v2/${env.images.repos.large}/blobs/${layer.digest}`;
  results.largeLayerBytes = layer.size;
  const candidates = blobCandidates(env);
  for (const candidate of candidates) {
    const lease = await candidate.acquire();
    try {
      const got = await fetchDigest(lease.endpoint.url + blobPath, env.clientHeaders);
      if (got.status !== 200 || got.digest !== layer.digest) {
        results.failures.push(`blob via ${candidate.name}: HTTP ${got.status}, digest ${got.digest} (want ${layer.digest})`);
      }
    } catch (err) {
      results.failures.push(`blob via ${candidate.name}: ${(err as Error).message}`);
    } finally {
      await lease.release();
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const candidate of rotate(candidates, round)) {
      const lease = await candidate.acquire();
      try {
        const before = lease.mirror?.usage();
        const busyBefore = machineBusyMs();
        const d = await curlDownload(lease.endpoint.url + blobPath, env.clientHeaders);
        const machineCpuMs = machineBusyMs() - busyBefore;
        const after = lease.mirror?.usage();
        const run: BlobRun = { candidate: candidate.name, round, ...d, mibPerSecond: d.bytes / MiB / d.seconds, machineCpuMs };
        if (before && after) {
          run.mirrorCpuMs = after.cpuMs - before.cpuMs;
          run.mirrorMainThreadMs = after.mainThreadMs - before.mainThreadMs;
          run.mirrorMinorFaults = after.minorFaults - before.minorFaults;
        }
        results.blobs.push(run);
        const usage = run.mirrorCpuMs === undefined ? `  (machine CPU ${machineCpuMs} ms)` : `  (machine CPU ${machineCpuMs} ms, mirror CPU ${run.mirrorCpuMs} ms, main thread ${run.mirrorMainThreadMs} ms, ${run.mirrorMinorFaults} minor faults)`;
        log(`  ${candidate.name.padEnd(18)} round ${round + 1}: ${d.seconds.toFixed(3)} s  ${run.mibPerSecond.toFixed(0)} MiB/s${usage}`);
        if (d.status !== 200 || d.bytes !== layer.size) {
          results.failures.push(`blob via ${candidate.name} round ${round + 1}: HTTP ${d.status}, ${d.bytes} bytes (want ${layer.size})`);
        }
      } finally {
        await lease.release();
      }
    }
  }
}
