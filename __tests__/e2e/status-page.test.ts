import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import type { MirrorStatus } from '../../lib/admin/status-data';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { silentLogger } from '../../lib/log';
import { startServer, type RunningServer } from '../../lib/server';
import type { WarmJobReport } from '../../lib/warm/report';
import { pushTestImages, startRegistry, waitUntil, type PushedTestImages, type Registry } from '../harness';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { cli } from '../unit/cli/cli-helpers';

/** Where the screenshot goes (gitignored): a test artifact to look at when the page breaks. */
const ARTIFACTS = path.join(__dirname, '../artifacts');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let registry: Registry;
let proxy: FaultProxy;
let images: PushedTestImages;
let dir: string;
let mirror: MirrorRouter;
let server: RunningServer;
let browser: BrowserContext;

const runmd = (upstream: string, cacheDir: string): string => `\`\`\` start mirror
+ .runtime
: .mirror ${upstream}

+ .proxy 127.0.0.1:0
: .cache ${cacheDir} 1GiB
: .manifests head, get
:   .resolve
: .blobs head, get
:   .pull
\`\`\`
`;

const statusJson = async (): Promise<MirrorStatus> => (await (await fetch(`${server.url}/_lifec/status.json`)).json()) as MirrorStatus;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-status-e2e-'));
  registry = await startRegistry({ auth: 'none' });
  images = await pushTestImages(registry);
  proxy = await startFaultProxy(registry.url);
  mirror = createMirror({ runmd: runmd(proxy.url, path.join(dir, 'cache')), home: dir, logger: silentLogger() });
  server = await startServer(mirror, silentLogger(), { host: '127.0.0.1', port: 0 });
  // A fresh, empty profile; the Debian browser, nothing downloaded.
  browser = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1200, height: 900 } });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close(2000);
  await proxy?.close();
  await registry?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the status page in headless Chromium', () => {
  it('shows the registry table, the cache numbers and the bars of a pull and a warm job in progress, as status.json has them', async () => {
    const large = images.large!;
    const big = large.layers.at(-1)!;
    const reference = `${proxy.host}/${images.repos.large}:v1`;
    // A slow registry keeps the big layer's one download in progress while the page is read.
    proxy.inject({ kind: 'slow', bytesPerSecond: 2 * 1024 * 1024 }, new RegExp(`/blobs/${big.digest}`), 1);
    const pull = http.get(`${server.url}/v2/${images.repos.large}/blobs/${big.digest}?ns=${encodeURIComponent(proxy.host)}`, (res) => res.resume());
    pull.on('error', () => undefined);
    const posted = await fetch(`${server.url}/_lifec/warm`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ references: [reference] }) });
    expect(posted.status).toBe(202);
    const job = (await posted.json()) as WarmJobReport;
    // Everything but the big layer is cached, so the numbers hold still while the page and the JSON are read.
    await waitUntil('the warm job reads only the big layer', async () => {
      const status = await statusJson();
      const image = status.warm.find((j) => j.id === job.id)?.images[0];
      const others = image?.items.filter((i) => i.digest !== big.digest) ?? [];
      const download = status.downloads.inProgress.find((d) => d.digest === big.digest);
      return others.length === 3 && others.every((i) => i.state === 'done') && (download?.doneBytes ?? 0) > 0;
    }, 60_000);

    const page = await browser.newPage();
    await page.goto(`${server.url}/_lifec/?refresh=0`);
    const status = await statusJson();

    const row = page.locator(`#registries tr[data-registry="${proxy.host}"]`);
    await expect(row.locator('[data-field="breaker"]').textContent()).resolves.toBe(status.registries[0]!.breaker);
    expect(await row.textContent()).toContain(proxy.url);
    const value = async (field: string): Promise<number> => Number(await page.locator(`[data-field="${field}"]`).first().getAttribute('data-value'));
    expect(await value('cache.entries')).toBe(status.cache.entries);
    expect(await value('cache.usedBytes')).toBe(status.cache.usedBytes);
    expect(await value('cache.capBytes')).toBe(status.cache.capBytes);
    expect(await value('cache.misses.blob')).toBe(status.cache.misses.blob);
    expect(status.cache.entries).toBeGreaterThan(0);

    const downloadBar = page.locator(`#downloads [role="progressbar"][data-digest="${big.digest}"]`);
    expect(Number(await downloadBar.getAttribute('aria-valuemax'))).toBe(big.size);
    const shown = Number(await downloadBar.getAttribute('aria-valuenow'));
    const inJson = status.downloads.inProgress.find((d) => d.digest === big.digest)!;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThanOrEqual(inJson.doneBytes);
    expect(inJson.doneBytes).toBeLessThan(big.size);
    const width = (await downloadBar.locator('span').boundingBox())?.width ?? 0;
    expect(width).toBeGreaterThan(0);

    const warmBar = page.locator(`#warm [role="progressbar"][data-image="${reference}"][data-job="${job.id}"]`);
    expect(Number(await warmBar.getAttribute('aria-valuemax'))).toBe(status.warm.find((j) => j.id === job.id)!.images[0]!.totalBytes);
    expect(await page.locator('#requests tbody tr').count()).toBe(status.requests.length);
    expect(await page.locator('svg.chart, #registries').count()).toBeGreaterThan(0);

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page.png'), fullPage: true });
    await page.close();
    pull.destroy();
    await fetch(`${server.url}/_lifec/warm/${job.id}`, { method: 'DELETE' });
  });

  it('reloads itself every few seconds by default', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/_lifec/`);
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('5');
    await page.close();
  });
});

describe('lifec-mirror status against the running mirror', () => {
  it('prints the registries, the cache and the last requests as a table', async () => {
    const result = await cli(dir, ['status', '--mirror', server.url]);
    expect(result.code).toBe(0);
    const status = await statusJson();
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^lifec-mirror ${status.version} at ${server.url} · up `));
    expect(lines.find((l) => l.startsWith('REGISTRY'))).toMatch(/^REGISTRY\s+BREAKER\s+AUTH\s+TOKENS\s+LAST ERROR$/);
    expect(lines.find((l) => l.startsWith(proxy.host))).toMatch(new RegExp(`^${proxy.host} \\(default\\)\\s+closed\\s+none seen\\s+0\\s+`));
    expect(lines.find((l) => l.startsWith('CACHE'))).toContain(`${status.cache.entries} entries`);
    expect(lines.find((l) => l.startsWith('REQUESTS'))).toBe(`REQUESTS  last ${Math.min(10, status.requests.length)} of ${status.requests.length}`);
  });

  it('prints status.json with --json', async () => {
    const result = await cli(dir, ['status', '--mirror', server.url, '--json']);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as MirrorStatus;
    expect(printed.registries.map((r) => r.host)).toEqual([proxy.host]);
    expect(Object.keys(printed).sort()).toEqual(['cache', 'downloads', 'history', 'now', 'registries', 'requests', 'rssBytes', 'startedAt', 'uptimeSeconds', 'version', 'warm']);
  });
});
