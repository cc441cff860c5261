import path from 'node:path';
import { startRegistry } from '../__tests__/harness';
import { removeTempDir } from '../__tests__/harness/tempdir';
import { egress, pullThroughNode, type NodePull } from './fleet-pull';
import { startMirror, type MirrorProcess } from './mirror';
import type { BenchResults, FleetRun } from './results';
import type { BenchEnv } from './setup';
import { percentile } from './stats';

/**
 * The fleet phase: N node mirrors (processes on this machine, each with its
 * own home and cache) pull the large image at the same moment, (a) each
 * straight from the origin, (b) all through one shared Distribution
 * pull-through tier that starts empty, (c) through that tier once it is warm,
 * (d) through another lifec-mirror as the tier. Origin and Distribution
 * egress come from their access logs (bytes sent), a lifec-mirror tier's
 * from its `lifec_served_bytes_total`.
 */
export async function runFleetPhase(env: BenchEnv, nodes: number, results: BenchResults, log: (line: string) => void): Promise<void> {
  const { username, password } = env.registry.credentials!;
  const tier = await startRegistry({ dir: path.join(env.dir, 'fleet-tier'), extraConfig: { proxy: { remoteurl: env.registry.url, username, password } } });
  // Another lifec-mirror as the shared tier: it reads `ns` and downloads each blob once however many nodes ask.
  const mirrorTier = await startMirror(path.join(env.dir, 'fleet-mirror-tier'), env.registry.url, env.features, env.registry.credentials);
  const distribution: TierMeter = { url: tier.url, read: async () => egress(tier.logPath) };
  const lifec: TierMeter = { url: mirrorTier.url, read: () => servedBytes(mirrorTier.url) };
  try {
    const scenarios: Scenario[] = [
      { name: `${nodes} nodes direct to the origin` },
      { name: `${nodes} nodes, cold Distribution tier`, tier: distribution },
      { name: `${nodes} nodes, warm Distribution tier`, tier: distribution },
      { name: `${nodes} nodes, cold lifec-mirror tier`, tier: lifec },
    ];
    for (const scenario of scenarios) results.fleet.push(await runScenario(env, nodes, scenario, results, log));
  } finally {
    await mirrorTier.stop();
    await tier.stop();
  }
}

/** Reads what a tier has sent so far. */
interface TierMeter {
  url: string;
  read(): Promise<{ bytes: number }>;
}

interface Scenario {
  name: string;
  tier?: TierMeter;
}

let serial = 0;

async function runScenario(env: BenchEnv, nodes: number, scenario: Scenario, results: BenchResults, log: (line: string) => void): Promise<FleetRun> {
  const fleet: MirrorProcess[] = [];
  const lines = scenario.tier ? [`: .endpoint ${scenario.tier.url}`] : [];
  try {
    for (let i = 0; i < nodes; i++) {
      fleet.push(await startMirror(path.join(env.dir, `fleet-node-${++serial}`), env.registry.url, env.features, env.registry.credentials, [], false, lines));
    }
    const originBefore = egress(env.registry.logPath);
    const tierBefore = await scenario.tier?.read();
    const started = process.hrtime.bigint();
    const pulls: NodePull[] = await Promise.all(fleet.map((node) => pullThroughNode(node.url, env.registry.host, env.images.repos.large, 'v1')));
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const origin = egress(env.registry.logPath, originBefore.lines - 1);
    const tierAfter = await scenario.tier?.read();
    const times = pulls.map((p) => p.seconds);
    const rss = fleet.map((n) => n.peakRss());
    const run: FleetRun = {
      scenario: scenario.name,
      nodes,
      imageBytes: pulls.find((p) => p.verified)?.bytes ?? 0,
      originEgressBytes: origin.bytes,
      originBlobGets: origin.blobGets,
      tierEgressBytes: tierAfter && tierBefore ? tierAfter.bytes - tierBefore.bytes : undefined,
      wallSeconds,
      p50Seconds: percentile(times, 50),
      p99Seconds: percentile(times, 99),
      peakRssMedianBytes: percentile(rss, 50),
      peakRssMaxBytes: Math.max(...rss),
      verified: pulls.filter((p) => p.verified).length,
    };
    const mib = (n: number | undefined): string => (n === undefined ? '–' : `${(n / 2 ** 20).toFixed(0)} MiB`);
    log(`  ${scenario.name.padEnd(40)} origin ${mib(run.originEgressBytes)} (${run.originBlobGets} blob GETs), tier ${mib(run.tierEgressBytes)}, wall ${wallSeconds.toFixed(1)} s, p50 ${run.p50Seconds.toFixed(1)} s, p99 ${run.p99Seconds.toFixed(1)} s, RSS ${(run.peakRssMedianBytes / 1e6).toFixed(0)}/${(run.peakRssMaxBytes / 1e6).toFixed(0)} MB`);
    for (const p of pulls.filter((x) => !x.verified)) results.failures.push(`fleet ${scenario.name}: a node's pull did not verify${p.error ? ` (${p.error})` : ''}`);
    return run;
  } finally {
    for (const node of fleet) {
      await node.stop();
      removeTempDir(node.dir);
    }
  }
}

/** Blob bytes a lifec-mirror has sent to its clients, from its own metrics. */
async function servedBytes(base: string): Promise<{ bytes: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let bytes = 0;
  for (const match of text.matchAll(/^lifec_served_bytes_total\{[^}]*\} (\S+)$/gm)) bytes += Number(match[1]);
  return { bytes };
}
