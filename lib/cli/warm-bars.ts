import { MultiBar, type GenericFormatter, type SingleBar } from 'cli-progress';
import { formatBytes } from '../cache/inspect';
import type { WarmImageReport, WarmJobReport } from '../warm/report';
import { failureLines, summaryLine, type WarmOutput } from './warm-output';

/** What each bar shows besides its value and total. */
interface BarPayload {
  name: string;
  rate: number;
  state: string;
}

const BAR_WIDTH = 24;
/** The rate is measured over the last few seconds: a burst of cached blobs must not promise a fast finish. */
const RATE_WINDOW_MS = 5_000;

/**
 * On a terminal: one live bar per image (bytes done / total, rate, ETA) drawn
 * with cli-progress, then the summary line and one line per image that is not cached.
 */
export function barsOutput(out: NodeJS.WritableStream, started: number, now: () => number): WarmOutput {
  const multi = new MultiBar({ stream: out, format: formatBar, hideCursor: true, clearOnComplete: false, fps: 8, autopadding: true, emptyOnZero: true });
  const bars = new Map<number, { bar: SingleBar; samples: Array<[number, number]> }>();
  const width = (report: WarmJobReport): number => Math.min(40, Math.max(...report.images.map((i) => i.reference.length)));
  const update = (report: WarmJobReport): void => {
    const at = now();
    report.images.forEach((image, index) => {
      let entry = bars.get(index);
      if (!entry) {
        entry = { bar: multi.create(image.totalBytes, image.doneBytes, payload(image, 0, width(report))), samples: [] };
        bars.set(index, entry);
      }
      entry.samples.push([at, image.doneBytes]);
      while (entry.samples.length > 2 && at - entry.samples[0]![0] > RATE_WINDOW_MS) entry.samples.shift();
      const [t0, b0] = entry.samples[0]!;
      const rate = at > t0 ? ((image.doneBytes - b0) * 1000) / (at - t0) : 0;
      entry.bar.setTotal(image.totalBytes);
      entry.bar.update(image.doneBytes, payload(image, rate, width(report)));
    });
  };
  return {
    update,
    finish: (report) => {
      update(report);
      multi.update();
      multi.stop();
      out.write(`${summaryLine(report, now() - started)}\n`);
      for (const line of failureLines(report)) out.write(`  ${line}\n`);
    },
  };
}

function payload(image: WarmImageReport, rate: number, width: number): BarPayload {
  const name = image.reference.length > width ? `…${image.reference.slice(-(width - 1))}` : image.reference.padEnd(width);
  return { name, rate, state: image.state === 'failed' ? `failed: ${image.error ?? ''}` : image.state };
}

/** `name ████░░░░ 42% 12.0 MiB/28.4 MiB 5.1 MiB/s ETA 3s fetching`. */
const formatBar: GenericFormatter = (_options, params, payload: BarPayload) => {
  const ratio = params.total > 0 ? Math.min(1, params.value / params.total) : payload.state === 'done' ? 1 : 0;
  const filled = Math.round(ratio * BAR_WIDTH);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
  const left = params.total - params.value;
  const eta = payload.state !== 'fetching' ? '' : payload.rate > 0 ? ` ETA ${formatSeconds(left / payload.rate)}` : ' ETA ?';
  const pct = `${Math.floor(ratio * 100)}%`.padStart(4);
  const rate = payload.state === 'fetching' ? ` ${formatBytes(Math.round(payload.rate))}/s` : '';
  return `${payload.name} ${bar} ${pct} ${formatBytes(params.value)}/${formatBytes(params.total)}${rate}${eta} ${payload.state}`;
};

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
