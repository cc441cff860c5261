import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MirrorStatus } from '../../lib/admin/status-data';
import type { WarmJobReport } from '../../lib/warm/report';
import { pushTestImages, startRegistry, waitUntil, type PushedTestImages, type Registry } from '../harness';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { startMirrorProcess, type MirrorProcess } from '../helpers/mirror-process';
import { cli, runCli } from '../unit/cli/cli-helpers';

let registry: Registry;
let proxy: FaultProxy;
let images: PushedTestImages;
let dir: string;
const mirrors: MirrorProcess[] = [];

const runmd = (cacheDir: string, steps = ''): string => `\`\`\` start mirror
+ .runtime
: .mirror ${proxy.url}
${steps}
+ .proxy 127.0.0.1:MIRROR_PORT
: .cache ${cacheDir} 1GiB
: .manifests head, get
:   .resolve
: .blobs head, get
:   .pull
\`\`\`
`;

async function start(name: string, text: string): Promise<MirrorProcess> {
  const home = path.join(dir, name);
  fs.mkdirSync(home, { recursive: true });
  const mirror = await startMirrorProcess(home, text);
  mirrors.push(mirror);
  return mirror;
}

const json = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;
const blobGets = (digest: string): number => proxy.requests.filter((r) => r.method === 'GET' && r.url.split('?')[0]!.endsWith(`/blobs/${digest}`)).length;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-warm-process-'));
  registry = await startRegistry({ auth: 'none' });
  images = await pushTestImages(registry);
  proxy = await startFaultProxy(registry.url);
}, 300_000);

afterAll(async () => {
  for (const mirror of mirrors) await mirror.stop();
  await proxy?.close();
  await registry?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('warming with a mirror process', () => {
  it('resumes after the mirror was killed mid-layer: only the interrupted layer is fetched again', async () => {
    const large = images.large!;
    const big = large.layers.at(-1)!;
    const others = [large.config, ...large.layers.slice(0, -1)];
    const reference = `${proxy.host}/${images.repos.large}:v1`;
    const cacheDir = path.join(dir, 'cache-kill');
    proxy.inject({ kind: 'slow', bytesPerSecond: 2 * 1024 * 1024 }, new RegExp(`/blobs/${big.digest}`), 1);
    const first = await start('kill-1', runmd(cacheDir));
    const run = runCli(dir, ['warm', '--mirror', first.url, '--json', reference]);
    await waitUntil('the big layer is half-way', async () => {
      const { jobs } = await json<{ jobs: WarmJobReport[] }>(`${first.url}/_lifec/warm`);
      const items = jobs[0]?.images[0]?.items ?? [];
      return others.every((d) => items.find((i) => i.digest === d.digest)?.state === 'done') && (items.find((i) => i.digest === big.digest)?.doneBytes ?? 0) > 0;
    }, 60_000);
    process.kill(first.process.pid, 'SIGKILL');
    // The CLI loses the mirror it was following.
    expect(await run.code).toBe(3);
    expect(run.stderr()).toMatch(/cannot reach the mirror/);
    for (const d of others) expect(blobGets(d.digest)).toBe(1);
    expect(blobGets(big.digest)).toBe(1);

    const second = await start('kill-2', runmd(cacheDir));
    const again = await cli(dir, ['warm', '--mirror', second.url, '--json', reference]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    const items = again.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; digest?: string; cached?: boolean }).filter((e) => e.event === 'item');
    for (const d of others) expect(items.find((i) => i.digest === d.digest)?.cached).toBe(true);
    expect(items.find((i) => i.digest === big.digest)?.cached).toBe(false);
    for (const d of others) expect(blobGets(d.digest)).toBe(1);
    expect(blobGets(big.digest)).toBe(2);
  });

  it('a .warm step warms at start without delaying the server, and again at each tick of the .timer after it', async () => {
    const large = images.large!;
    const big = large.layers.at(-1)!;
    const single = `${proxy.host}/${images.repos.single}:v1`;
    const slow = `${proxy.host}/${images.repos.large}:v1`;
    // The big layer arrives slowly (8 s): the server must answer long before the warm is done.
    proxy.inject({ kind: 'slow', bytesPerSecond: 8 * 1024 * 1024 }, new RegExp(`/blobs/${big.digest}`), 1);
    const bigBefore = blobGets(big.digest);
    const steps = `: .warm ${single}, ${slow}\n: .platform linux/amd64\n: .timer 2s\n`;
    const mirror = await start('step', runmd(path.join(dir, 'cache-step'), steps));
    const atStart = await json<MirrorStatus>(`${mirror.url}/_lifec/status.json`);
    // On failure, say what the mirror did.
    const context = `warm jobs at start: ${JSON.stringify(atStart.warm)}\n${mirror.log().slice(-4000)}`;
    expect({ jobs: atStart.warm.length, context }).toEqual({ jobs: 1, context });
    expect({ job: atStart.warm[0], context }).toMatchObject({ job: { source: 'runmd', state: 'running', platforms: ['linux/amd64'] }, context });

    await waitUntil('a second warm ran at a tick and found everything cached', async () => {
      const { warm } = await json<MirrorStatus>(`${mirror.url}/_lifec/status.json`);
      return warm.length >= 2 && warm[0]!.state === 'done' && warm[0]!.images.every((i) => i.items.every((x) => x.cached));
    }, 90_000);
    const { warm } = await json<MirrorStatus>(`${mirror.url}/_lifec/status.json`);
    expect(warm.at(-1)).toMatchObject({ state: 'done', source: 'runmd' });
    expect(warm.at(-1)!.images.map((i) => i.state)).toEqual(['done', 'done']);
    expect(blobGets(big.digest) - bigBefore).toBe(1);
  });
});
