import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatCredentialFile } from '../../lib/auth/credential-file';
import { registryDir } from '../../lib/auth/credential-source';
import { writeSecretFile } from '../../lib/auth/secret-file';
import { freePort, pushTestImages, startRegistry, waitUntil, type AccessLogEntry, type PushedTestImages, type Registry } from '../harness';
import { startFaultProxy } from '../helpers/fault-proxy';
import { startMirrorProcess, type MirrorProcess } from '../helpers/mirror-process';
import { startPrefixProxy } from '../helpers/nginx-prefix';
import { pullImage, readBlob } from '../helpers/pull-image';
import { startThrottledRelay } from '../helpers/throttled-relay';

/**
 * A fleet in miniature, all real components on loopback: the origin is
 * Distribution with token auth; the tier is a second Distribution in
 * pull-through mode (`proxy: remoteurl, username, password`), empty at start;
 * the nodes are lifec-mirror processes, each with its own home, each
 * `.mirror <origin>` + `.endpoint <tier>`.
 */
const LARGE_MIB = 64;
const NODES = 3;
const MiB = 1024 * 1024;

let work: string;
let origin: Registry;
let images: PushedTestImages;
let tier: Registry;
const started: Array<{ stop(): Promise<void> }> = [];

const nodeRunmd = (endpointLines: string): string => `\`\`\` start mirror
+ .runtime
: .mirror ${origin.url}
${endpointLines}

+ .proxy 127.0.0.1:MIRROR_PORT
: .manifests head, get
:   .login access_token
:   .authn oauth2
:   .resolve
: .blobs head, get
:   .login access_token
:   .authn oauth2
:   .pull
\`\`\`
`;

/** A node mirror with its own home, holding the origin's credentials (the tier needs none). */
async function startNode(endpointLines: string): Promise<MirrorProcess> {
  const home = fs.mkdtempSync(path.join(work, 'node-'));
  const { username, password } = origin.credentials!;
  await writeSecretFile(path.join(registryDir(home, origin.host), 'access_token'), formatCredentialFile(username, password));
  const node = await startMirrorProcess(home, nodeRunmd(endpointLines));
  started.push(node);
  return node;
}

/** Distribution in pull-through mode in front of the origin, with its own storage (kept across stop and restart). */
async function startTier(): Promise<Registry> {
  const { username, password } = origin.credentials!;
  const registry = await startRegistry({ dir: fs.mkdtempSync(path.join(work, 'tier-')), extraConfig: { proxy: { remoteurl: origin.url, username, password } } });
  started.push(registry);
  return registry;
}

const isBlobGet = (e: AccessLogEntry): boolean => e.method === 'GET' && /\/blobs\/sha256:/.test(e.uri) && (e.status === 200 || e.status === 206);
const blobGets = async (registry: Registry): Promise<AccessLogEntry[]> => (await registry.accessEntries()).filter(isBlobGet);
const largeDigests = (): string[] => [images.large!.config.digest, ...images.large!.layers.map((l) => l.digest)];

async function metric(node: MirrorProcess, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-tier-e2e-'));
  origin = await startRegistry({ auth: 'token', anonymous: 'none' });
  images = await pushTestImages(origin, { largeMiB: LARGE_MIB });
  tier = await startTier();
}, 300_000);

afterAll(async () => {
  for (const component of started.reverse()) await component.stop().catch(() => undefined);
  await origin?.stop().catch(() => undefined);
  fs.rmSync(work, { recursive: true, force: true });
});

describe('a fleet of node mirrors chained to a shared pull-through tier', () => {
  it('warming one node first makes the other nodes cost the origin no blob download', async () => {
    const nodes = await Promise.all(Array.from({ length: NODES }, () => startNode(`: .endpoint ${tier.url}`)));
    const before = (await blobGets(origin)).length;
    const first = await pullImage(nodes[0]!.url, origin.host, images.repos.large, 'v1');
    expect(first.verified).toBe(true);
    const warmed = (await blobGets(origin)).length - before;
    // Distribution's proxy fetches a missed blob twice: once to store it, once
    // to stream it to the client (registry/proxy/proxyblobstore.go, ServeBlob).
    expect(warmed).toBeGreaterThanOrEqual(largeDigests().length);
    expect(warmed).toBeLessThanOrEqual(2 * largeDigests().length);
    const rest = await Promise.all(nodes.slice(1).map((n) => pullImage(n.url, origin.host, images.repos.large, 'v1')));
    expect(rest.every((p) => p.verified)).toBe(true);
    expect((await blobGets(origin)).length - before).toBe(warmed);
    for (const pulled of [first, ...rest]) expect(pulled.blobs.map((b) => b.endpoint)).toEqual(largeDigests().map(() => tier.host));
    process.stdout.write(`tier-chain: warm first: origin blob GETs ${warmed} for the first node, 0 for the other ${NODES - 1}\n`);
  });

  it('concurrent cold pulls through every node verify, the nodes never ask the origin, and the origin blob GETs are counted', async () => {
    const coldTier = await startTier();
    const nodes = await Promise.all(Array.from({ length: NODES }, () => startNode(`: .endpoint ${coldTier.url}`)));
    const before = (await blobGets(origin)).length;
    const pulls = await Promise.all(nodes.map((n) => pullImage(n.url, origin.host, images.repos.large, 'v1')));
    expect(pulls.every((p) => p.verified)).toBe(true);
    const originGets = (await blobGets(origin)).slice(before);
    const tierGets = await blobGets(coldTier);
    // Distribution's proxy does not merge concurrent misses: the first miss
    // costs two origin GETs (store + stream), each concurrent one a GET of its own.
    expect(originGets.length).toBeGreaterThanOrEqual(largeDigests().length);
    expect(originGets.length).toBeLessThanOrEqual(largeDigests().length * (NODES + 1));
    expect(tierGets.length).toBe(largeDigests().length * NODES);
    for (const node of nodes) expect(await metric(node, 'lifec_endpoint_requests_total', { endpoint: origin.host })).toBe(0);
    const perBlob = largeDigests().map((d) => originGets.filter((e) => e.uri.includes(d)).length);
    process.stdout.write(`tier-chain: ${NODES} cold nodes at once: origin blob GETs ${originGets.length} (per blob ${perBlob.join('/')}), tier served ${tierGets.length}\n`);
  });

  it('with another lifec-mirror as the tier, a cold burst costs the origin one GET per blob (the tier reads ns and merges misses)', async () => {
    const mirrorTier = await startNode('');
    const nodes = await Promise.all(Array.from({ length: NODES }, () => startNode(`: .endpoint ${mirrorTier.url}`)));
    const before = (await blobGets(origin)).length;
    const pulls = await Promise.all(nodes.map((n) => pullImage(n.url, origin.host, images.repos.large, 'v1')));
    expect(pulls.every((p) => p.verified)).toBe(true);
    expect((await blobGets(origin)).length - before).toBe(largeDigests().length);
    expect(await metric(mirrorTier, 'lifec_served_bytes_total', {})).toBe(NODES * [images.large!.config, ...images.large!.layers].reduce((sum, d) => sum + d.size, 0));
  });

  it('honours a Harbor-style path prefix (nginx rewrite in front of the tier)', async () => {
    const harbor = await startPrefixProxy(fs.mkdtempSync(path.join(work, 'nginx-')), tier.host, 'hub-proxy');
    started.push(harbor);
    const node = await startNode(`: .endpoint ${harbor.endpoint}`);
    const pulled = await pullImage(node.url, origin.host, images.repos.single, 'v1');
    expect(pulled.verified).toBe(true);
    expect(pulled.blobs.every((b) => b.endpoint === `${harbor.host}/hub-proxy`)).toBe(true);
    const lines = harbor.accessLog();
    // The tag is resolved with a HEAD (the pull-quota rule), then the manifest fetched by digest.
    expect(lines).toContain(`HEAD /v2/hub-proxy/${images.repos.single}/manifests/v1 HTTP/1.1`);
    expect(lines).toContain(`GET /v2/hub-proxy/${images.repos.single}/manifests/${pulled.manifestDigest} HTTP/1.1`);
    for (const blob of pulled.blobs) expect(lines).toContain(`GET /v2/hub-proxy/${images.repos.single}/blobs/${blob.digest} HTTP/1.1`);
  });

  it('detects a corrupted blob from the tier, never serves or caches it, and serves the retry from the origin', async () => {
    const faulty = await startFaultProxy(tier.url);
    started.push({ stop: () => faulty.close() });
    const node = await startNode(`: .endpoint ${faulty.url}`);
    const layer = images.single.layers.at(-1)!;
    faulty.inject({ kind: 'corrupt', atByte: 4096 }, new RegExp(layer.digest), 1);
    const url = `${node.url}/v2/${images.repos.single}/blobs/${layer.digest}?ns=${encodeURIComponent(origin.host)}`;
    const first = await readBlob(url, layer.digest);
    expect(first.complete).toBe(false);
    expect(first.bytes).toBeLessThan(layer.size);
    const retry = await readBlob(url, layer.digest);
    expect(retry.verified).toBe(true);
    expect(retry.endpoint).toBe(origin.host);
    expect(node.log()).toContain(`endpoint ${faulty.host} sent content that does not verify`);
    // What is cached is the origin's verified copy: a third read costs neither upstream.
    const seen = faulty.requests.length;
    const again = await readBlob(url, layer.digest);
    expect(again.verified).toBe(true);
    expect(faulty.requests.length).toBe(seen);
  });

  it('with .origin off and the tier down, answers 503 at once and the origin sees no request', async () => {
    const deadPort = await freePort();
    const node = await startNode(`: .endpoint http://127.0.0.1:${deadPort}\n: .origin off`);
    const before = (await origin.accessEntries()).length;
    const res = await fetch(`${node.url}/v2/${images.repos.single}/manifests/v1?ns=${encodeURIComponent(origin.host)}`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('UNAVAILABLE');
    const blob = await fetch(`${node.url}/v2/${images.repos.single}/blobs/${images.single.config.digest}?ns=${encodeURIComponent(origin.host)}`);
    expect(blob.status).toBe(503);
    expect((await origin.accessEntries()).length).toBe(before);
  });

  it('finishes a large blob from the origin when the tier stops in the middle of it, and logs why', async () => {
    // The tier is warm; the relay slows its answers so the test can stop it mid-blob.
    const relay = await startThrottledRelay(tier.host, 16 * MiB);
    started.push({ stop: () => relay.close() });
    const node = await startNode(`: .endpoint ${relay.url}`);
    const layer = images.large!.layers.at(-1)!;
    const reading = readBlob(`${node.url}/v2/${images.repos.large}/blobs/${layer.digest}?ns=${encodeURIComponent(origin.host)}`, layer.digest);
    await waitUntil('8 MiB through the tier', () => relay.relayed() > 8 * MiB, 60_000);
    await tier.stop();
    const read = await reading;
    expect(read.verified).toBe(true);
    expect(read.endpoint).toBe(relay.host);
    expect(node.log()).toMatch(new RegExp(`endpoint ${relay.host} failed \\(the body broke off after \\d+ bytes`));
    expect(await metric(node, 'lifec_endpoint_bytes_total', { endpoint: origin.host })).toBeGreaterThan(0);
    expect(await metric(node, 'lifec_endpoint_bytes_total', { endpoint: origin.host })).toBeLessThan(layer.size);
    await tier.restart();
  });

  it('keeps serving new nodes from the warm tier after the origin stops', async () => {
    await origin.stop();
    const node = await startNode(`: .endpoint ${tier.url}`);
    const pulled = await pullImage(node.url, origin.host, images.repos.large, 'v1');
    expect(pulled.verified).toBe(true);
    expect(pulled.blobs.every((b) => b.endpoint === tier.host)).toBe(true);
  });
});
