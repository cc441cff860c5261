import { formatBytes } from '../cache/inspect';
import type { MirrorStatus } from './status-data';

const WIDTH = 600;
const HEIGHT = 150;
const PAD = { left: 8, right: 8, top: 22, bottom: 18 };

/**
 * The throughput (filled area, left scale) and the cache hit ratio (line,
 * 0–100 %) of the last minutes as inline SVG: no script, no external asset.
 */
export function renderChart(history: MirrorStatus['history']): string {
  if (history.length < 2) return '<p class="muted">The chart fills in as the mirror samples its counters (every 5 s).</p>';
  const peak = Math.max(1, ...history.map((p) => p.bytesPerSecond));
  const first = Date.parse(history[0]!.at);
  const span = Math.max(1, Date.parse(history.at(-1)!.at) - first);
  const x = (at: string): number => PAD.left + ((Date.parse(at) - first) / span) * (WIDTH - PAD.left - PAD.right);
  const y = (ratio: number): number => PAD.top + (1 - ratio) * (HEIGHT - PAD.top - PAD.bottom);
  const bytes = history.map((p) => `${x(p.at).toFixed(1)},${y(p.bytesPerSecond / peak).toFixed(1)}`);
  const area = `M${x(history[0]!.at).toFixed(1)},${y(0)} L${bytes.join(' L')} L${x(history.at(-1)!.at).toFixed(1)},${y(0)} Z`;
  const ratio = segments(history.map((p) => (p.hitRatio === null ? undefined : `${x(p.at).toFixed(1)},${y(p.hitRatio).toFixed(1)}`)));
  const minutes = Math.round(span / 60_000);
  return [
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="throughput and hit ratio over the last ${minutes} minutes">`,
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${WIDTH - PAD.right}" y2="${y(0)}" class="axis"/>`,
    `<line x1="${PAD.left}" y1="${y(1)}" x2="${WIDTH - PAD.right}" y2="${y(1)}" class="grid"/>`,
    `<path d="${area}" class="throughput"/>`,
    ...ratio.map((points) => `<polyline points="${points}" class="ratio"/>`),
    `<rect x="${PAD.left}" y="6" width="10" height="10" class="throughput"/><text x="${PAD.left + 14}" y="15" class="label">blob bytes served/s (peak ${formatBytes(Math.round(peak))}/s)</text>`,
    `<line x1="${WIDTH / 2 + 40}" y1="11" x2="${WIDTH / 2 + 56}" y2="11" class="ratio"/><text x="${WIDTH / 2 + 60}" y="15" class="label">cache hit ratio (dashed line: 100 %)</text>`,
    `<text x="${PAD.left + 2}" y="${HEIGHT - 4}" class="label">−${minutes} min</text>`,
    `<text x="${WIDTH - PAD.right - 2}" y="${HEIGHT - 4}" class="label end">now</text>`,
    '</svg>',
  ].join('');
}

/** Runs of defined points: a gap (no lookups in an interval) breaks the line. */
function segments(points: Array<string | undefined>): string[] {
  const out: string[][] = [[]];
  for (const point of points) {
    if (point === undefined) out.push([]);
    else out.at(-1)!.push(point);
  }
  return out.filter((s) => s.length > 1).map((s) => s.join(' '));
}
