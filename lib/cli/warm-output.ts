import { formatBytes } from '../cache/inspect';
import type { WarmImageReport, WarmItemReport, WarmJobReport } from '../warm/report';

/** How `warm` shows a job's progress: it sees every report it polled, then the last one once more. */
export interface WarmOutput {
  update(report: WarmJobReport): void;
  finish(report: WarmJobReport): void;
}

/** Something new in a report: an item finished, or an image reached a state. */
export type WarmChange =
  | { kind: 'item'; image: WarmImageReport; item: WarmItemReport }
  | { kind: 'image'; image: WarmImageReport };

/** Remembers what was told, so each finished item and each image state is told once (reports are snapshots). */
export class ChangeTracker {
  private readonly told = new Set<string>();

  changes(report: WarmJobReport): WarmChange[] {
    const out: WarmChange[] = [];
    report.images.forEach((image, index) => {
      for (const item of image.items) {
        if (item.state === 'done' && this.first(`${index} item ${item.digest}`)) out.push({ kind: 'item', image, item });
      }
      if (image.state !== 'queued' && image.state !== 'resolving' && this.first(`${index} state ${image.state}`)) out.push({ kind: 'image', image });
    });
    return out;
  }

  private first(key: string): boolean {
    if (this.told.has(key)) return false;
    this.told.add(key);
    return true;
  }
}

/** Bytes fetched and found cached over the whole job, each digest once. */
export function totals(report: WarmJobReport): { fetched: number; cached: number } {
  const seen = new Map<string, WarmItemReport>();
  for (const item of report.images.flatMap((i) => i.items)) seen.set(item.digest, item);
  let fetched = 0;
  let cached = 0;
  for (const item of seen.values()) {
    if (item.cached) cached += item.size;
    else if (item.state === 'done') fetched += item.size;
  }
  return { fetched, cached };
}

/** The closing line: how many images are cached, what was fetched, how long it took. */
export function summaryLine(report: WarmJobReport, elapsedMs: number): string {
  const done = report.images.filter((i) => i.state === 'done').length;
  const { fetched, cached } = totals(report);
  return `warm ${report.state}: ${done} of ${report.images.length} images cached (${formatBytes(fetched)} fetched, ${formatBytes(cached)} already cached) in ${(elapsedMs / 1000).toFixed(1)} s`;
}

/** `<reference>: <cause>` for each image that is not cached. */
export function failureLines(report: WarmJobReport): string[] {
  return report.images.filter((i) => i.state !== 'done').map((i) => `${i.reference}: ${i.error ?? i.state}`);
}

/** Not on a terminal: one plain line per finished item and per finished image, then the summary. */
export function plainOutput(out: NodeJS.WritableStream, started: number, now: () => number): WarmOutput {
  const tracker = new ChangeTracker();
  const update = (report: WarmJobReport): void => {
    for (const change of tracker.changes(report)) {
      if (change.kind === 'item') {
        const { item } = change;
        out.write(`${change.image.reference}  ${item.kind.padEnd(8)} ${item.digest}  ${formatBytes(item.size).padStart(10)}  ${item.cached ? 'cached' : 'fetched'}\n`);
      } else if (change.image.state === 'fetching') {
        const { image } = change;
        const platforms = image.platforms.length > 0 ? ` for ${image.platforms.join(', ')}` : '';
        out.write(`${image.reference}  ${image.items.length} items, ${formatBytes(image.totalBytes)}${platforms}\n`);
      } else {
        out.write(`${change.image.reference}  ${change.image.state}${change.image.error ? `: ${change.image.error}` : ''}\n`);
      }
    }
  };
  return {
    update,
    finish: (report) => {
      update(report);
      out.write(`${summaryLine(report, now() - started)}\n`);
    },
  };
}

/** `--json`: one JSON object per line and event (`job`, `image`, `item`, `done`/`failed`/`canceled`, `summary`). */
export function jsonOutput(out: NodeJS.WritableStream): WarmOutput {
  const tracker = new ChangeTracker();
  let announced = false;
  const emit = (event: Record<string, unknown>): boolean => out.write(`${JSON.stringify(event)}\n`);
  const update = (report: WarmJobReport): void => {
    if (!announced) {
      announced = emit({ event: 'job', id: report.id, platforms: report.platforms, images: report.images.map((i) => i.reference) });
    }
    for (const change of tracker.changes(report)) {
      const { image } = change;
      if (change.kind === 'item') {
        const { kind, digest, size, cached } = change.item;
        emit({ event: 'item', image: image.reference, kind, digest, size, cached });
      } else if (image.state === 'fetching') {
        emit({ event: 'image', image: image.reference, platforms: image.platforms, items: image.items.length, totalBytes: image.totalBytes });
      } else {
        emit({ event: image.state, image: image.reference, ...(image.error !== undefined && { error: image.error }) });
      }
    }
  };
  return {
    update,
    finish: (report) => {
      update(report);
      const { fetched, cached } = totals(report);
      const failed = report.images.filter((i) => i.state !== 'done').map((i) => ({ image: i.reference, state: i.state, error: i.error }));
      emit({ event: 'summary', id: report.id, state: report.state, images: report.images.length, fetchedBytes: fetched, cachedBytes: cached, failed });
    },
  };
}
