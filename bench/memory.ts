import { curlDownload } from './curl';
import type { BenchResults } from './results';
import type { BenchEnv } from './setup';

/**
 * Peak RSS of a fresh mirror process while (a) 8 clients pull the large
 * layer at once and (b) one rate-limited client pulls it: memory must stay
 * flat, neither growing with blob size nor buffering for a slow reader.
 */
export async function runMemoryPhase(env: BenchEnv, slowRate: string, results: BenchResults, log: (line: string) => void): Promise<void> {
  const layer = env.images.large?.layers.at(-1);
  if (!layer) throw new Error('the large test image has no layer');
  const url = (base: string): string => `${base}/v2/${env.images.repos.large}/blobs/${layer.digest}`;
  const scenarios = [
    { scenario: '8 concurrent pulls', clients: 8, extra: [] as string[] },
    { scenario: `1 slow client (${slowRate}B/s)`, clients: 1, extra: ['--limit-rate', slowRate] },
  ];
  for (const s of scenarios) {
    const mirror = await env.freshMirror();
    try {
      const idleRssBytes = mirror.rss();
      const started = process.hrtime.bigint();
      const downloads = await Promise.all(Array.from({ length: s.clients }, () => curlDownload(url(mirror.url), env.clientHeaders, s.extra)));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const run = { scenario: s.scenario, idleRssBytes, peakRssBytes: mirror.peakRss(), clients: s.clients, seconds };
      results.memory.push(run);
      log(`  ${s.scenario.padEnd(28)} peak RSS ${(run.peakRssBytes / 1e6).toFixed(1)} MB (idle ${(idleRssBytes / 1e6).toFixed(1)} MB), ${seconds.toFixed(1)} s`);
      for (const d of downloads) {
        if (d.status !== 200 || d.bytes !== layer.size) results.failures.push(`memory ${s.scenario}: HTTP ${d.status}, ${d.bytes} bytes`);
      }
    } finally {
      await mirror.stop();
    }
  }
}
