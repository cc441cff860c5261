import type { BenchResults } from './results';
import { median } from './stats';
import { summarizeBlobs, summarizeManifests } from './summary';

const table = (head: string[], rows: string[][]): string => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
};

const f = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const optional = (n: number | undefined): string => (n === undefined ? '' : f(n, 0));

/** The results as Markdown tables (the same text goes into docs/performance.md). */
export function renderReport(results: BenchResults): string {
  const out: string[] = [];
  const mib = results.largeLayerBytes / 1048576;
  const blobs = summarizeBlobs(results);
  if (blobs.length > 0) {
    out.push(`### Blob throughput (${mib.toFixed(0)} MiB layer, median of ${Math.max(...results.blobs.map((b) => b.round)) + 1} runs)`, '');
    out.push(table(
      ['path', 'seconds', 'MiB/s', '× direct', 'machine CPU ms', 'mirror CPU ms', 'main thread ms'],
      blobs.map((b) => [b.candidate, f(b.seconds, 3), f(b.mibPerSecond, 0), f(b.ratioToDirect), optional(b.machineCpuMs), optional(b.mirrorCpuMs), optional(b.mirrorMainThreadMs)]),
    ), '');
  }
  const manifests = summarizeManifests(results);
  if (manifests.length > 0) {
    out.push('### Manifest latency (token auth on, token cached; ms, median over rounds)', '');
    out.push(table(
      ['request', 'c', 'path', 'req/s', '× direct', 'p50', 'p99', 'p50 added'],
      manifests.map((m) => [m.request, String(m.connections), m.candidate, f(m.rps, 0), f(m.rpsRatioToDirect), f(m.p50), f(m.p99), f(m.addedP50)]),
    ), '');
  }
  if (results.memory.length > 0) {
    out.push('### Mirror memory (fresh process per scenario)', '');
    out.push(table(['scenario', 'idle RSS MB', 'peak RSS MB', 'seconds'], results.memory.map((m) => [m.scenario, f(m.idleRssBytes / 1e6, 1), f(m.peakRssBytes / 1e6, 1), f(m.seconds, 1)])), '');
  }
  const ctrPaths = [...new Set(results.ctr.map((c) => c.candidate))];
  if (ctrPaths.length > 0) {
    out.push(`### Cold \`ctr image pull\` of the ${mib.toFixed(0)} MiB image (fetch + unpack, native snapshotter)`, '');
    out.push(table(['path', 'median seconds', 'runs', 'failed'], ctrPaths.map((p) => {
      const runs = results.ctr.filter((c) => c.candidate === p);
      return [p, f(median(runs.filter((r) => r.ok).map((r) => r.seconds))), String(runs.length), String(runs.filter((r) => !r.ok).length)];
    })), '');
  }
  if (results.fleet.length > 0) {
    const mb = (n: number | undefined): string => (n === undefined ? '–' : f(n / 1048576, 0));
    out.push(`### Fleet: N node mirrors pulling the ${mib.toFixed(0)} MiB image at once (processes on one machine)`, '');
    out.push(table(
      ['scenario', 'origin MiB', 'origin blob GETs', 'tier MiB', 'wall s', 'p50 s', 'p99 s', 'RSS MB median/max', 'verified'],
      results.fleet.map((r) => [r.scenario, mb(r.originEgressBytes), String(r.originBlobGets), mb(r.tierEgressBytes), f(r.wallSeconds, 1), f(r.p50Seconds, 1), f(r.p99Seconds, 1), `${f(r.peakRssMedianBytes / 1e6, 0)}/${f(r.peakRssMaxBytes / 1e6, 0)}`, `${r.verified}/${r.nodes}`]),
    ), '');
  }
  if (results.targets.length > 0) {
    out.push('### Targets', '');
    out.push(table(['target', 'measured', 'wanted', 'met'], results.targets.map((t) => [t.name, t.measured, t.target, t.met ? 'yes' : '**no**'])), '');
  }
  if (results.skipped.length > 0) out.push('### Skipped', '', ...results.skipped.map((x) => `- ${x}`), '');
  if (results.failures.length > 0) out.push('### Failed runs', '', ...results.failures.map((x) => `- ${x}`), '');
  return out.join('\n');
}
