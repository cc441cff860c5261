/** What one bench run does; `--quick` shrinks every phase for development. */
export interface BenchOptions {
  quick: boolean;
  /** Size of the large layer in MiB (256; 64 in quick mode). */
  largeMiB: number;
  /** Rounds of the blob throughput phase (candidates alternate within a round). */
  blobRounds: number;
  /** Rounds and seconds per autocannon run of the manifest phase. */
  manifestRounds: number;
  manifestSeconds: number;
  /** Rounds of cold `ctr image pull` per path. */
  ctrRounds: number;
  /** Rate limit of the slow client in the memory phase (curl --limit-rate). */
  slowRate: string;
  /** Phases to run (default all but fleet): blobs, manifests, memory, ctr, fleet. */
  phases: ReadonlySet<Phase>;
  /** Node mirrors in the fleet phase (`--nodes`, default 16). */
  nodes: number;
}

export const PHASES = ['blobs', 'manifests', 'memory', 'ctr', 'fleet'] as const;
export type Phase = (typeof PHASES)[number];
/** The fleet phase starts N mirror processes and a tier: it runs when asked for (`--only fleet`). */
export const DEFAULT_PHASES: readonly Phase[] = ['blobs', 'manifests', 'memory', 'ctr'];

const USAGE = `usage: npm run bench -- [--quick] [--only blobs,manifests,memory,ctr,fleet] [--nodes N]`;

/** Parses `process.argv.slice(2)`; throws with the usage line on anything unknown. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let phases: Set<Phase> = new Set(DEFAULT_PHASES);
  let nodes = 16;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--only') phases = parsePhases(argv[++i] ?? '');
    else if (arg === '--nodes') nodes = parseCount(argv[++i]);
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return {
    quick,
    largeMiB: quick ? 64 : 256,
    blobRounds: quick ? 3 : 9,
    manifestRounds: quick ? 1 : 3,
    manifestSeconds: 2,
    ctrRounds: quick ? 1 : 2,
    slowRate: '64M',
    phases,
    nodes,
  };
}

function parseCount(word: string | undefined): number {
  if (!word || !/^\d+$/.test(word) || Number(word) < 1) throw new Error(`--nodes needs a number of nodes\n${USAGE}`);
  return Number(word);
}

function parsePhases(list: string): Set<Phase> {
  const names = list.split(',').filter((p) => p !== '');
  for (const name of names) {
    if (!(PHASES as readonly string[]).includes(name)) throw new Error(`unknown phase ${name}\n${USAGE}`);
  }
  if (names.length === 0) throw new Error(`--only needs a list of phases\n${USAGE}`);
  return new Set(names as Phase[]);
}
