import type { BenchResults, TargetCheck } from './results';
import { median } from './stats';

/** Median MiB/s and seconds of one path's blob downloads. */
export interface BlobSummary {
  candidate: string;
  seconds: number;
  mibPerSecond: number;
  ratioToDirect: number;
  /** Median CPU time of the whole machine per download. */
  machineCpuMs?: number;
  /** Median CPU time of the mirror per download (mirror paths only). */
  mirrorCpuMs?: number;
  /** Median CPU time of the mirror's main (JavaScript) thread per download. */
  mirrorMainThreadMs?: number;
}

/** Medians over rounds of one path for one request kind and concurrency. */
export interface ManifestSummary {
  request: string;
  connections: number;
  candidate: string;
  rps: number;
  p50: number;
  p99: number;
  /** p50 minus direct's p50, in ms. */
  addedP50: number;
  rpsRatioToDirect: number;
}

const unique = <T>(items: T[]): T[] => [...new Set(items)];

export function summarizeBlobs(results: BenchResults): BlobSummary[] {
  const candidates = unique(results.blobs.map((r) => r.candidate));
  const rows = candidates.map((candidate) => {
    const runs = results.blobs.filter((r) => r.candidate === candidate);
    const seconds = median(runs.map((r) => r.seconds));
    const cpu = runs.flatMap((r) => (r.mirrorCpuMs === undefined ? [] : [r.mirrorCpuMs]));
    const mirrorCpuMs = cpu.length > 0 ? median(cpu) : undefined;
    const main = runs.flatMap((r) => (r.mirrorMainThreadMs === undefined ? [] : [r.mirrorMainThreadMs]));
    const mirrorMainThreadMs = main.length > 0 ? median(main) : undefined;
    const machine = runs.flatMap((r) => (r.machineCpuMs === undefined ? [] : [r.machineCpuMs]));
    const machineCpuMs = machine.length > 0 ? median(machine) : undefined;
    return { candidate, seconds, mibPerSecond: results.largeLayerBytes / 1048576 / seconds, ratioToDirect: Number.NaN, machineCpuMs, mirrorCpuMs, mirrorMainThreadMs };
  });
  const direct = rows.find((r) => r.candidate === 'direct');
  for (const row of rows) row.ratioToDirect = direct ? row.mibPerSecond / direct.mibPerSecond : Number.NaN;
  return rows;
}

export function summarizeManifests(results: BenchResults): ManifestSummary[] {
  const rows: ManifestSummary[] = [];
  for (const request of unique(results.manifests.map((r) => r.request))) {
    for (const connections of unique(results.manifests.map((r) => r.connections))) {
      const group = results.manifests.filter((r) => r.request === request && r.connections === connections);
      const byCandidate = unique(group.map((r) => r.candidate)).map((candidate) => {
        const runs = group.filter((r) => r.candidate === candidate);
        return {
          request, connections, candidate,
          rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)),
          addedP50: Number.NaN, rpsRatioToDirect: Number.NaN,
        };
      });
      const direct = byCandidate.find((r) => r.candidate === 'direct');
      for (const row of byCandidate) {
        row.addedP50 = direct ? row.p50 - direct.p50 : Number.NaN;
        row.rpsRatioToDirect = direct ? row.rps / direct.rps : Number.NaN;
      }
      rows.push(...byCandidate);
    }
  }
  return rows;
}

/** The performance targets (docs/performance.md), checked against this run (a missed target is reported, not a failure). */
export function checkTargets(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const blobs = summarizeBlobs(results);
  const blob = (name: string): BlobSummary | undefined => blobs.find((b) => b.candidate === name);
  const relay = blob('mirror no cache');
  const cold = blob('mirror cold');
  const warm = blob('mirror warm');
  const nginx = blob('nginx');
  if (cold) checks.push({ name: 'cold blob throughput vs direct', measured: `${cold.ratioToDirect.toFixed(2)}×`, target: '≥ 0.90×', met: cold.ratioToDirect >= 0.9 });
  if (cold && nginx) {
    checks.push({ name: 'cold blob throughput vs nginx', measured: `${(cold.mibPerSecond / nginx.mibPerSecond).toFixed(2)}×`, target: '≥ 1.00×', met: cold.mibPerSecond >= nginx.mibPerSecond });
  }
  if (warm) checks.push({ name: 'warm blob throughput vs direct', measured: `${warm.ratioToDirect.toFixed(2)}×`, target: '≥ 1.00×', met: warm.ratioToDirect >= 1 });
  if (relay) {
    checks.push({ name: 'blob throughput vs direct (.cache off)', measured: `${relay.ratioToDirect.toFixed(2)}×`, target: '≥ 0.90×', met: relay.ratioToDirect >= 0.9 });
  }
  const heads = summarizeManifests(results).filter((r) => (r.candidate === 'mirror warm' || r.candidate === 'mirror no cache') && r.request.startsWith('HEAD'));
  for (const row of heads) {
    const which = row.candidate === 'mirror warm' ? '' : ' (.cache off)';
    if (row.connections === 1) {
      checks.push({ name: `${row.request} p50 added latency, c=1${which}`, measured: `${row.addedP50.toFixed(2)} ms`, target: '≤ 1.00 ms', met: row.addedP50 <= 1 });
    } else {
      checks.push({ name: `${row.request} req/s vs direct, c=${row.connections}${which}`, measured: `${row.rpsRatioToDirect.toFixed(2)}×`, target: '≥ 0.80×', met: row.rpsRatioToDirect >= 0.8 });
    }
  }
  for (const m of results.memory) {
    const mb = m.peakRssBytes / 1e6;
    checks.push({ name: `peak RSS, ${m.scenario}`, measured: `${mb.toFixed(0)} MB`, target: '≤ 150 MB', met: mb <= 150 });
  }
  return checks;
}
