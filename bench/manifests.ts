import { httpRequest } from '../__tests__/harness';
import { runLoad } from './load';
import type { BenchResults } from './results';
import type { BenchEnv, Candidate } from './setup';
import { percentile, rotate } from './stats';

/** containerd's resolver `Accept` (core/remotes/docker/resolver.go). */
const ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  '*/*',
].join(', ');

interface ManifestRequest {
  label: string;
  method: 'GET' | 'HEAD';
  path: string;
}

export const CONCURRENCY = [1, 64] as const;

function requests(env: BenchEnv): ManifestRequest[] {
  const repo = env.images.repos.single;
  const digest = env.images.single.descriptor.digest;
  return [
    { label: 'HEAD tag', method: 'HEAD', path: `/v2/${repo}/manifests/v1` },
    { label: 'GET tag', method: 'GET', path: `/v2/${repo}/manifests/v1` },
    { label: 'HEAD digest', method: 'HEAD', path: `/v2/${repo}/manifests/${digest}` },
    { label: 'GET digest', method: 'GET', path: `/v2/${repo}/manifests/${digest}` },
  ];
}

/**
 * Manifest latency and requests per second: for each request kind and
 * concurrency, rounds of one autocannon run per path (order rotating). The
 * registry has token auth on; clients send a cached token, the mirror (with
 * `.login`/`.authn`) uses the token it cached.
 */
export async function runManifestPhase(env: BenchEnv, rounds: number, seconds: number, results: BenchResults, log: (line: string) => void): Promise<void> {
  const c = env.candidates;
  const candidates: Candidate[] = [c.direct, c.nginx, c.distributionWarm, c.mirrorWarm, c.mirrorRelay];
  const headers = { ...env.clientHeaders, Accept: ACCEPT };
  const leases = await Promise.all(candidates.map(async (candidate) => ({ candidate, lease: await candidate.acquire() })));
  try {
    for (const { candidate, lease } of leases) {
      for (const r of requests(env)) {
        const res = await httpRequest(r.method, lease.endpoint.url + r.path, headers);
        const digest = res.headers['docker-content-digest'];
        if (res.status !== 200 || digest !== env.images.single.descriptor.digest) {
          results.failures.push(`${r.label} via ${candidate.name}: HTTP ${res.status}, digest ${String(digest)}`);
        }
      }
    }
    for (const r of requests(env)) {
      for (const connections of CONCURRENCY) {
        for (let round = 0; round < rounds; round++) {
          for (const { candidate, lease } of rotate(leases, round)) {
            const load = await runLoad(lease.endpoint.url + r.path, r.method, headers, connections, seconds);
            const run = {
              candidate: candidate.name, request: r.label, connections, round,
              requests: load.requests, rps: load.rps,
              p50: percentile(load.latencies, 50), p99: percentile(load.latencies, 99),
              errors: load.errors, non2xx: load.non2xx,
            };
            results.manifests.push(run);
            log(`  ${r.label.padEnd(11)} c=${String(connections).padEnd(2)} ${candidate.name.padEnd(18)} ${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms`);
            if (load.errors > 0 || load.non2xx > 0 || load.requests === 0) {
              results.failures.push(`${r.label} c=${connections} via ${candidate.name}: ${load.errors} errors, ${load.non2xx} non-2xx of ${load.requests}`);
            }
          }
        }
      }
    }
  } finally {
    for (const { lease } of leases) await lease.release();
  }
}
