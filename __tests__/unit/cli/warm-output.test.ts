import { PassThrough } from 'node:stream';
import { barsOutput } from '../../../lib/cli/warm-bars';
import { jsonOutput, plainOutput } from '../../../lib/cli/warm-output';
import type { WarmItemReport, WarmJobReport } from '../../../lib/warm/report';

const item = (n: number, state: WarmItemReport['state'], doneBytes: number, cached = false): WarmItemReport => ({
  kind: n === 0 ? 'manifest' : 'layer',
  digest: `sha256:${String(n).repeat(64)}`,
  size: 1000,
  doneBytes,
  state,
  cached,
});

const report = (items: WarmItemReport[], state: WarmJobReport['images'][0]['state'], error?: string): WarmJobReport => {
  const image = { reference: 'redis:7', image: 'docker.io/library/redis:7', state, platforms: ['linux/amd64'], items, totalBytes: 3000, doneBytes: items.reduce((s, i) => s + i.doneBytes, 0), ...(error && { error }) };
  const done = state === 'done' ? 'done' : state === 'failed' ? 'failed' : 'running';
  return { id: 'abc', state: done, source: 'api', platforms: ['linux/amd64'], createdAt: '', totalBytes: 3000, doneBytes: image.doneBytes, images: [image] };
};

const capture = (tty = false): { stream: PassThrough & { isTTY?: boolean; columns?: number }; text: () => string } => {
  const chunks: Buffer[] = [];
  const stream = Object.assign(new PassThrough(), tty ? { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true } : {});
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString() };
};

const progress = [
  report([item(0, 'done', 1000, true), item(1, 'fetching', 400), item(2, 'pending', 0)], 'fetching'),
  report([item(0, 'done', 1000, true), item(1, 'done', 1000), item(2, 'fetching', 10)], 'fetching'),
  report([item(0, 'done', 1000, true), item(1, 'done', 1000), item(2, 'done', 1000)], 'done'),
];

describe('warm output', () => {
  it('tells each finished item once as a plain line, then the summary', () => {
    const out = capture();
    const output = plainOutput(out.stream, 0, () => 1500);
    for (const r of progress.slice(0, 2)) output.update(r);
    output.finish(progress[2]!);
    const lines = out.text().trim().split('\n');
    expect(lines.filter((l) => l.includes('1'.repeat(64)))).toEqual([expect.stringMatching(/^redis:7  layer    sha256:1{64}\s+1000 B  fetched$/)]);
    expect(lines.filter((l) => l.includes('0'.repeat(64)))).toEqual([expect.stringMatching(/manifest .* cached$/)]);
    expect(lines).toContain('redis:7  done');
    expect(lines.at(-1)).toBe('warm done: 1 of 1 images cached (2.0 KiB fetched, 1000 B already cached) in 1.5 s');
  });

  it('writes one JSON object per event, each parseable', () => {
    const out = capture();
    const output = jsonOutput(out.stream);
    for (const r of progress.slice(0, 2)) output.update(r);
    output.finish(progress[2]!);
    const events = out.text().trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    expect(events.map((e) => e.event)).toEqual(['job', 'item', 'image', 'item', 'item', 'done', 'summary']);
    expect(events.at(-1)).toEqual({ event: 'summary', id: 'abc', state: 'done', images: 1, fetchedBytes: 2000, cachedBytes: 1000, failed: [] });
  });

  it('draws a live bar per image on a terminal, then the summary and the failures', () => {
    const out = capture(true);
    let now = 0;
    const output = barsOutput(out.stream, 0, () => (now += 1000));
    output.update(progress[0]!);
    output.finish(report([item(0, 'done', 1000, true), item(1, 'failed', 10)], 'failed', 'sha256:1…: the mirror answered 502'));
    const text = out.text();
    expect(text).toMatch(/redis:7 +█+░+ +\d+% /);
    expect(text).toContain('warm failed: 0 of 1 images cached');
    expect(text).toContain('  redis:7: sha256:1…: the mirror answered 502');
  });
});
