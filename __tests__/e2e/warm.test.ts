import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { silentLogger } from '../../lib/log';
import { startServer, type RunningServer } from '../../lib/server';
import type { WarmJobReport } from '../../lib/warm/report';
import { freePort, pushTestImages, waitUntil, type PushedTestImages, type Registry, startRegistry } from '../harness';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { cli, runCli } from '../unit/cli/cli-helpers';

let registry: Registry;
let proxy: FaultProxy;
let images: PushedTestImages;
let dir: string;
let mirror: MirrorRouter;
let server: RunningServer;
let deadHost: string;

const runmd = (upstream: string, dead: string, cacheDir: string): string => `\`\`\` start mirror
+ .runtime
: .mirror ${upstream}
: .mirror http://${dead}
: .connect_timeout 2s

+ .proxy 127.0.0.1:0
: .cache ${cacheDir} 1GiB
: .retries 0
: .manifests head, get
:   .resolve
: .blobs head, get
:   .pull
\`\`\`
`;

/** The references of multi:v1 and large:v1 as the proxy (the mirror's upstream) serves them. */
const ref = (repo: string, tag = 'v1'): string => `${proxy.host}/${repo}:${tag}`;
const gets = (): string[] => proxy.requests.filter((r) => r.method === 'GET').map((r) => r.url.split('?')[0]!);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-warm-e2e-'));
  registry = await startRegistry({ auth: 'none' });
  images = await pushTestImages(registry);
  proxy = await startFaultProxy(registry.url);
  deadHost = `127.0.0.1:${await freePort()}`;
  mirror = createMirror({ runmd: runmd(proxy.url, deadHost, path.join(dir, 'cache')), home: dir, logger: silentLogger() });
  server = await startServer(mirror, silentLogger(), { host: '127.0.0.1', port: 0 });
}, 300_000);

afterAll(async () => {
  await server?.close(2000);
  await proxy?.close();
  await registry?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('lifec-mirror warm through a running mirror in front of Distribution', () => {
  it('warms every platform of a multi-arch index, each manifest and blob fetched from the registry exactly once', async () => {
    const before = gets().length;
    const result = await cli(dir, ['warm', '--mirror', server.url, '--all-platforms', '--json', ref(images.repos.multi)]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ event: 'job', platforms: 'all', images: [ref(images.repos.multi)] });
    expect(events.at(-1)).toMatchObject({ event: 'summary', state: 'done', images: 1, failed: [] });
    expect(events.find((e) => e.event === 'image')).toMatchObject({ platforms: ['linux/amd64', 'linux/arm64/v8'] });

    const { amd64, arm64 } = images.multi;
    const blobs = new Set([amd64.config, ...amd64.layers, arm64.config, ...arm64.layers].map((d) => d.digest));
    const manifests = [images.multi.descriptor.digest, amd64.descriptor.digest, arm64.descriptor.digest];
    // The base layer is shared by both platforms: 5 distinct blobs, 3 manifests.
    expect(blobs.size).toBe(5);
    const warmed = events.filter((e) => e.event === 'item').map((e) => e.digest);
    expect(new Set(warmed)).toEqual(new Set([...blobs, ...manifests]));
    const upstream = gets().slice(before);
    for (const digest of blobs) expect(upstream.filter((u) => u.endsWith(`/blobs/${digest}`))).toHaveLength(1);
    for (const digest of manifests) expect(upstream.filter((u) => u.endsWith(`/manifests/${digest}`))).toHaveLength(1);
    expect(upstream.filter((u) => u.includes('/blobs/'))).toHaveLength(blobs.size);
  });

  it('a second warm of the same image fetches nothing: every item is already cached', async () => {
    const before = gets().length;
    const result = await cli(dir, ['warm', '--mirror', server.url, '--all-platforms', '--json', ref(images.repos.multi)]);
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const items = events.filter((e) => e.event === 'item');
    expect(items.length).toBe(8);
    expect(items.every((e) => e.cached === true)).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: 'summary', state: 'done', fetchedBytes: 0 });
    expect(gets().slice(before)).toEqual([]);
  });

  it('prints one plain line per finished item and a summary when not on a terminal', async () => {
    const result = await cli(dir, ['warm', '--mirror', server.url, '--platform', 'linux/amd64', ref(images.repos.single)]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    const { single } = images;
    // The base layer is multi:v1's too, cached by the first test.
    const base = images.multi.amd64.layers[0]!.digest;
    for (const d of [single.descriptor, single.config, ...single.layers]) {
      const state = d.digest === base ? 'cached' : 'fetched';
      expect(lines.filter((l) => l.includes(d.digest) && l.startsWith(ref(images.repos.single)) && l.endsWith(state))).toHaveLength(1);
    }
    expect(lines.at(-1)).toMatch(/^warm done: 1 of 1 images cached \(.* fetched, .* already cached\) in /);
  });

  it('exits 1 and names the image and its cause for a tag the registry does not have; the other images are still warmed', async () => {
    const missing = ref(images.repos.multi, 'no-such-tag');
    const result = await cli(dir, ['warm', '--mirror', server.url, '--platform', 'linux/arm64', missing, ref(images.repos.multi)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^lifec-mirror: 1 of 2 images not cached: ${missing.replace(/[.]/g, '\\.')}: no-such-tag: the mirror answered 404 \\(not found\\)`));
    expect(result.stdout).toContain(`${ref(images.repos.multi)}  done`);
  });

  it('exits 1 and names the cause for a registry that cannot be reached', async () => {
    const result = await cli(dir, ['warm', '--mirror', server.url, '--json', `${deadHost}/app:v1`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`${deadHost}/app:v1: v1: the mirror answered 50[234]`));
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { failed: Array<{ image: string; error: string }> };
    expect(summary.failed).toEqual([{ image: `${deadHost}/app:v1`, state: 'failed', error: expect.stringMatching(/50[234]/) }]);
  });

  it('exits 2 for a reference that is not one, 3 when no mirror answers', async () => {
    expect(await cli(dir, ['warm', '--mirror', server.url, 'Not A Reference'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^lifec-mirror: .*not an image reference/) });
    expect(await cli(dir, ['warm', '--mirror', server.url, '--all-platforms', '--platform', 'linux/amd64', 'redis'])).toMatchObject({ code: 2 });
    const nobody = `http://127.0.0.1:${await freePort()}`;
    expect(await cli(dir, ['warm', '--mirror', nobody, 'redis:7'])).toMatchObject({ code: 3, stderr: expect.stringMatching(/cannot reach the mirror at .*ECONNREFUSED/) });
  });

  it('a stop request cancels the job mid-layer; the next warm resumes without fetching what was cached', async () => {
    const { large } = images;
    const big = large!.layers.at(-1)!;
    proxy.inject({ kind: 'slow', bytesPerSecond: 2 * 1024 * 1024 }, new RegExp(`/blobs/${big.digest}`), 1);
    const before = gets().length;
    const run = runCli(dir, ['warm', '--mirror', server.url, '--json', ref(images.repos.large)]);
    const job = async (): Promise<WarmJobReport | undefined> => {
      const res = await fetch(`${server.url}/_lifec/warm`);
      return ((await res.json()) as { jobs: WarmJobReport[] }).jobs.find((j) => j.images[0]?.reference === ref(images.repos.large));
    };
    await waitUntil('the big layer is being read', async () => ((await job())?.images[0]?.items.find((i) => i.digest === big.digest)?.doneBytes ?? 0) > 0, 60_000);
    run.stop();
    expect(await run.code).toBe(130);
    expect((await job())?.state).toBe('canceled');

    // The mirror's download of the layer outlives the request that started it: the next warm joins or finds it.
    const again = await cli(dir, ['warm', '--mirror', server.url, '--json', ref(images.repos.large)]);
    expect(again.code).toBe(0);
    const upstream = gets().slice(before);
    for (const d of [large!.config, ...large!.layers]) expect(upstream.filter((u) => u.endsWith(`/blobs/${d.digest}`)).length).toBeLessThanOrEqual(1);
    expect(upstream.filter((u) => u.endsWith(`/blobs/${big.digest}`))).toHaveLength(1);
  });
});
