import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findBinary, isRoot, pushTestImages, startRegistry, type PushedTestImages, type Registry } from '../__tests__/harness';
import { makeTempDir, removeTempDir } from '../__tests__/harness/tempdir';
import { ROOT, builtFeatures, startMirror, type MirrorFeatures, type MirrorProcess } from './mirror';
import { startNginx, type Nginx } from './nginx';

/** Where a client sends its requests for one candidate path. */
export interface Endpoint {
  url: string;
  /** `127.0.0.1:PORT`, for hosts.toml. */
  host: string;
}

/** A path under test; cold paths start a fresh instance (empty cache) per lease. */
export interface Candidate {
  name: string;
  acquire(): Promise<Lease>;
}

export interface Lease {
  endpoint: Endpoint;
  /** The mirror process, when this path is the mirror (for memory readings). */
  mirror?: MirrorProcess;
  release(): Promise<void>;
}

/** Everything the phases share: the registry with content, the peers and a client token. */
export interface BenchEnv {
  dir: string;
  registry: Registry;
  images: PushedTestImages;
  /** Headers every client sends: a cached registry token (`Authorization: Bearer …`). */
  clientHeaders: Record<string, string>;
  features: MirrorFeatures;
  nginx: Nginx;
  candidates: {
    direct: Candidate;
    nginx: Candidate;
    distributionCold: Candidate;
    distributionWarm: Candidate;
    mirrorCold: Candidate;
    mirrorWarm: Candidate;
    /** The mirror with `.cache off`: every request relayed to the registry. */
    mirrorRelay: Candidate;
  };
  /** Starts a fresh mirror (for the memory phase). */
  freshMirror(cacheOff?: boolean): Promise<MirrorProcess>;
  stop(): Promise<void>;
}

const PROGRAMS = ['docker-registry', 'nginx', 'containerd', 'ctr', 'openssl', 'curl'];

/** Installs the Debian packages the bench runs when root, as the tests do; else names the command. */
export function ensurePrograms(): void {
  const missing = (): string[] => PROGRAMS.filter((p) => { try { findBinary(p); return false; } catch { return true; } });
  if (missing().length === 0) return;
  if (!isRoot()) throw new Error(`missing ${missing().join(', ')}: run \`sudo scripts/install-test-deps.sh\` (and install curl)`);
  const run = spawnSync('bash', [path.join(ROOT, 'scripts/install-test-deps.sh')], { stdio: 'inherit' });
  if (run.status !== 0) throw new Error('scripts/install-test-deps.sh failed');
  if (missing().includes('curl')) spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'curl'], { stdio: 'inherit' });
  if (missing().length > 0) throw new Error(`still missing after install: ${missing().join(', ')}`);
}

/**
 * Extra Node.js options for the mirror processes, e.g.
 * `LIFEC_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` to profile them.
 */
function nodeArgs(): string[] {
  return (process.env.LIFEC_BENCH_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
}

/**
 * Removes the cached content of a mirror (blobs and media types under
 * `<home>/cache`). The mirror treats a file that vanished as a miss and
 * downloads it again, as after an eviction.
 */
async function emptyCache(home: string): Promise<void> {
  for (const sub of ['blobs', 'types']) {
    const dir = path.join(home, 'cache', sub, 'sha256');
    const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
    await Promise.all(names.map((name) => fs.promises.rm(path.join(dir, name), { force: true })));
  }
}

const fixed = (endpoint: Endpoint): Candidate => ({
  name: '',
  acquire: async () => ({ endpoint, release: async () => undefined }),
});

/** Starts the registry (token auth), pushes the content, and starts the peers. */
export async function startEnv(largeMiB: number): Promise<BenchEnv> {
  const dir = makeTempDir('bench');
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    removeTempDir(dir);
  };
  try {
    const registry = await startRegistry({ auth: 'token', dir: path.join(dir, 'registry') });
    stops.push(() => registry.stop());
    const images = await pushTestImages(registry, { largeMiB });
    const access = Object.values(images.repos).map((name) => ({ type: 'repository', name, actions: ['pull'] }));
    const token = registry.token!.server.issue(registry.credentials!.username, access, 3600);
    const clientHeaders = { Authorization: `Bearer ${token}` };

    const features = builtFeatures();
    const nginx = await startNginx(path.join(dir, 'nginx'), registry.host);
    stops.push(() => nginx.stop());

    let serial = 0;
    const proxyConfig = { proxy: { remoteurl: registry.url, ...registry.credentials } };
    const startProxy = async (): Promise<Registry> => startRegistry({ dir: path.join(dir, `distribution-${++serial}`), extraConfig: proxyConfig });
    const warmProxy = await startProxy();
    stops.push(() => warmProxy.stop());
    const freshMirror = (cacheOff = false): Promise<MirrorProcess> =>
      startMirror(path.join(dir, `mirror-${++serial}`), registry.url, features, registry.credentials, nodeArgs(), cacheOff);
    const warmMirror = await freshMirror();
    stops.push(() => warmMirror.stop());
    const coldMirror = await freshMirror();
    stops.push(() => coldMirror.stop());
    const relayMirror = await freshMirror(true);
    stops.push(() => relayMirror.stop());

    const cold = <T extends Endpoint>(start: () => Promise<T>, stop: (t: T) => Promise<void>, mirror: boolean): Candidate => ({
      name: '',
      acquire: async () => {
        const instance = await start();
        return { endpoint: instance, mirror: mirror ? (instance as unknown as MirrorProcess) : undefined, release: () => stop(instance) };
      },
    });
    const named = (name: string, c: Candidate): Candidate => ({ ...c, name });
    return {
      dir, registry, images, clientHeaders, features, nginx, freshMirror,
      candidates: {
        direct: named('direct', fixed(registry)),
        nginx: named('nginx', fixed(nginx)),
        distributionCold: named('distribution cold', cold(startProxy, async (r) => { await r.stop(); removeTempDir(r.dir); }, false)),
        distributionWarm: named('distribution warm', fixed(warmProxy)),
        mirrorCold: named('mirror cold', {
          name: '',
          // A running mirror whose cache is emptied before each use: a cache miss
          // on a warmed-up process, as on a node that runs the mirror for days.
          acquire: async () => {
            await emptyCache(coldMirror.dir);
            return { endpoint: coldMirror, mirror: coldMirror, release: async () => undefined };
          },
        }),
        mirrorWarm: named('mirror warm', { name: '', acquire: async () => ({ endpoint: warmMirror, mirror: warmMirror, release: async () => undefined }) }),
        mirrorRelay: named('mirror no cache', { name: '', acquire: async () => ({ endpoint: relayMirror, mirror: relayMirror, release: async () => undefined }) }),
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
