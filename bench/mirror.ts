import fs from 'node:fs';
import path from 'node:path';
import { freePort, startProcess, type ManagedProcess } from '../__tests__/harness';

/** The repository root (this file runs from bench/.build/bench/). */
export const ROOT = path.resolve(__dirname, '../../..');
/** The CLI entry point, built with the bench (bench/.build/bench/mirror-main.js). */
const BIN = path.join(__dirname, 'mirror-main.js');

/** A mirror started the way a user runs it: `lifec-mirror start --config <file>`, in its own process. */
export interface MirrorProcess {
  url: string;
  /** Its home: config, log and cache. */
  dir: string;
  host: string;
  pid: number;
  /** Peak resident memory (VmHWM) so far, in bytes. */
  peakRss(): number;
  /** Resident memory now (VmRSS), in bytes. */
  rss(): number;
  /** CPU time (user + system: all threads, and the main thread alone) and minor page faults so far. */
  usage(): ProcessUsage;
  stop(): Promise<void>;
}

/** Counters of a process, from /proc/<pid>/stat. */
export interface ProcessUsage {
  cpuMs: number;
  /** The JavaScript thread's share of `cpuMs` (worker and libuv threads excluded). */
  mainThreadMs: number;
  minorFaults: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

function readUsage(pid: number): ProcessUsage {
  const all = readStat(`/proc/${pid}/stat`);
  // The main thread's task id is the process id (proc(5): /proc/[pid]/task).
  const main = readStat(`/proc/${pid}/task/${pid}/stat`);
  return { cpuMs: all.cpuMs, mainThreadMs: main.cpuMs, minorFaults: all.minorFaults };
}

function readStat(file: string): { cpuMs: number; minorFaults: number } {
  // Fields after the command name: state is field 3, minflt 10, utime 14, stime 15 (proc(5)).
  const fields = fs.readFileSync(file, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const field = (n: number): number => Number(fields[n - 3] ?? 0);
  return { cpuMs: (field(14) + field(15)) * TICK_MS, minorFaults: field(10) };
}

/** Names of the route plugins the built mirror knows (the auth and cache plugins may not exist yet). */
export function builtFeatures(): MirrorFeatures {
  const plugins = builtPlugins();
  return { auth: plugins.has('login') && plugins.has('authn'), cache: fs.existsSync(path.join(__dirname, '../lib/cache/settings.js')) };
}

function builtPlugins(): Set<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const index = require('../lib/middleware') as { PLUGINS: ReadonlyMap<string, unknown> };
  return new Set(index.PLUGINS.keys());
}

/** The environment variables `.login env` reads the registry credentials from. */
const USER_VAR = 'LIFEC_BENCH_USER';
const PASSWORD_VAR = 'LIFEC_BENCH_PASSWORD';

/** Credentials the mirror logs in to the registry with. */
export interface RegistryLogin {
  username: string;
  password: string;
}

/** What the mirror is configured with, recorded in the results. */
export interface MirrorFeatures {
  /** The mirror fetches and caches registry tokens itself (`.login`/`.authn`). */
  auth: boolean;
  /** The build has the disk cache (on by default). */
  cache: boolean;
}

/**
 * The runmd the bench serves: every pull route through the mirror, with the
 * token plugins when the build has them. The blob cache is on by default
 * (under the mirror's home), so a fresh home is a cold cache.
 */
export function mirrorRunmd(upstreamUrl: string, port: number, features: MirrorFeatures, cacheOff = false, mirrorLines: readonly string[] = []): string {
  const auth = features.auth ? [`:   .login env ${USER_VAR} ${PASSWORD_VAR}`, ':   .authn oauth2'] : [];
  return [
    '``` start mirror',
    '+ .runtime',
    `: .mirror ${upstreamUrl}`,
    // `.endpoint` lines of the fleet phase.
    ...mirrorLines,
    `+ .proxy 127.0.0.1:${port}`,
    // The pass-through candidate (and LIFEC_BENCH_CACHE=off) measure the plain relay.
    ...(cacheOff || process.env.LIFEC_BENCH_CACHE === 'off' ? [': .cache off'] : []),
    ': .manifests head, get',
    ...auth,
    ':   .resolve',
    ': .blobs head, get',
    ...auth,
    ':   .pull',
    '```',
    '',
  ].join('\n');
}

/** Starts a mirror in `dir` (its home: config, log, cache) for `upstreamUrl`. */
export async function startMirror(
  dir: string,
  upstreamUrl: string,
  features: MirrorFeatures,
  login?: RegistryLogin,
  extraArgs: string[] = [],
  cacheOff = false,
  mirrorLines: readonly string[] = [],
): Promise<MirrorProcess> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const configPath = path.join(dir, 'mirror.runmd');
  fs.writeFileSync(configPath, mirrorRunmd(upstreamUrl, port, features, cacheOff, mirrorLines));
  const child: ManagedProcess = startProcess({
    name: 'lifec-mirror',
    command: process.execPath,
    args: [...extraArgs, BIN, configPath],
    logPath: path.join(dir, 'mirror.log'),
    cwd: dir,
    env: { ...process.env, [USER_VAR]: login?.username ?? '', [PASSWORD_VAR]: login?.password ?? '' },
  });
  try {
    await child.waitForPort(port, 30_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  const status = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return Number(match?.[1] ?? 0) * 1024;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    host: `127.0.0.1:${port}`,
    pid: child.pid,
    peakRss: () => status('VmHWM'),
    rss: () => status('VmRSS'),
    usage: () => readUsage(child.pid),
    stop: () => child.stop(),
  };
}
