import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { silentLogger } from '../../lib/log';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { startServer, type RunningServer } from '../../lib/server';
import { pushTestImages, startRegistry, type PushedTestImages, type Registry } from '../harness';
import { generateRequests, type FuzzRequest, type FuzzWorld } from '../helpers/fuzz-requests';
import { rawExchange, type RawAnswer } from '../helpers/raw-http';
import { basicRunmd } from '../helpers/upstream-server';

/** `LIFEC_FUZZ_SEED=<n>` replays a run; otherwise every run tries new requests. `LIFEC_FUZZ_VERBOSE=1` prints the seed and heap figures. */
const SEED = process.env.LIFEC_FUZZ_SEED ? Number(process.env.LIFEC_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const COUNT = 2_500;
const WARMUP = 300;
const CONCURRENCY = 8;
/** Heap the mirror may still hold after the run, over the warmed-up baseline (caches of answers, pooled sockets). */
const HEAP_SLACK = 24 * 1024 * 1024;

let registry: Registry;
let images: PushedTestImages;
/** The same registry behind two mirrors: with the cache (blobs from disk) and without (relayed). */
let mirrors: MirrorRouter[] = [];
let servers: RunningServer[] = [];
let dir: string;
const trapped: string[] = [];
const traps: net.Server[] = [];

/** A listener that must never see a connection: any is a request to an undeclared address. */
async function startTrap(host: string): Promise<string> {
  const trap = net.createServer((socket) => {
    trapped.push(`${socket.localAddress}:${socket.localPort}`);
    socket.destroy();
  });
  await new Promise<void>((resolve) => trap.listen(0, host, resolve));
  traps.push(trap);
  return `${host}:${(trap.address() as net.AddressInfo).port}`;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-fuzz-'));
  registry = await startRegistry({ auth: 'none' });
  images = await pushTestImages(registry, { largeMiB: 0 });
  mirrors = [createMirror({ runmd: basicRunmd([registry.url]), home: dir, logger: silentLogger() }), createMirror({ runmd: basicRunmd([registry.url]), logger: silentLogger() })];
  servers = await Promise.all(mirrors.map((m) => startServer(m, silentLogger(), { host: '127.0.0.1', port: 0 })));
}, 300_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close(2_000)));
  await Promise.all(traps.map((t) => new Promise((r) => t.close(r))));
  await registry?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function world(trapHosts: string[]): FuzzWorld {
  const { single, multi } = images;
  return {
    registry: registry.host,
    repos: [images.repos.single, images.repos.multi, 'library/missing'],
    tags: ['v1', 'missing', single.referrersIndex.tag],
    digests: [single.descriptor.digest, multi.descriptor.digest, multi.arm64.descriptor.digest, ...single.layers.map((l) => l.digest), single.config.digest, `sha256:${'0'.repeat(64)}`],
    traps: [...trapHosts, `localhost:${trapHosts[0]?.split(':')[1] ?? '1'}`],
  };
}

/** What is wrong with one answer, or undefined. */
function verdict(request: FuzzRequest, answer: RawAnswer | undefined): string | undefined {
  if (!answer) return 'no answer at all';
  if (answer.status >= 500 && ![502, 503, 504].includes(answer.status)) return `answered ${answer.status}`;
  if (answer.status < 400 || answer.status >= 500 || request.method === 'HEAD') return undefined;
  try {
    const body = JSON.parse(answer.body.toString('utf8')) as { errors?: Array<{ code?: unknown }> };
    if (!Array.isArray(body.errors) || typeof body.errors[0]?.code !== 'string') return `${answer.status} without an OCI error body`;
  } catch {
    return `${answer.status} with a body that is not JSON: ${answer.body.toString('latin1').slice(0, 80)}`;
  }
  return undefined;
}

async function run(requests: FuzzRequest[], failures: string[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const at = next++;
      const request = requests[at] as FuzzRequest;
      const server = servers[at % servers.length] as RunningServer;
      const problem = verdict(request, await rawExchange(server.address.port, request.head));
      const cache = at % servers.length === 0 ? 'cache on' : 'cache off';
      if (problem) failures.push(`${problem} (${cache}): ${JSON.stringify(request.head.toString('latin1')).slice(0, 400)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** The heap after full collections: what the mirror still holds. */
function settledHeap(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

it(`survives ${COUNT} hostile requests without a 500, a non-OCI 4xx, a crash, a forbidden connection or a leak`, async () => {
  const trapHosts = [await startTrap('127.0.0.1'), await startTrap('127.0.0.2')];
  const requests = generateRequests(SEED, COUNT, world(trapHosts));
  const failures: string[] = [];
  await run(requests.slice(0, WARMUP), failures);
  const baseline = settledHeap();
  await run(requests.slice(WARMUP), failures);
  // Downloads the requests started finish in the background; let them settle before measuring.
  await new Promise((r) => setTimeout(r, 500));
  const after = settledHeap();

  if (process.env.LIFEC_FUZZ_VERBOSE) process.stderr.write(`fuzz seed ${SEED}: heap ${mib(baseline)} -> ${mib(after)} MiB, ${failures.length} failures\n`);
  const ping = Buffer.from('GET /v2/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  const alive = await Promise.all(servers.map((server) => rawExchange(server.address.port, ping)));
  const problems = [
    ...failures.slice(0, 20),
    ...(failures.length > 20 ? [`… and ${failures.length - 20} more`] : []),
    ...(trapped.length > 0 ? [`${trapped.length} connection(s) to undeclared addresses: ${[...new Set(trapped)].join(', ')}`] : []),
    ...(alive.every((a) => a?.status === 200) ? [] : ['a mirror no longer answers GET /v2/']),
    ...(after - baseline > HEAP_SLACK ? [`heap grew from ${mib(baseline)} to ${mib(after)} MiB`] : []),
  ];
  if (problems.length > 0) throw new Error(`fuzz run failed; replay with LIFEC_FUZZ_SEED=${SEED}\n${problems.join('\n')}`);
}, 300_000);

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
