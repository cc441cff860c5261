/** One timed blob download. */
export interface BlobRun {
  candidate: string;
  round: number;
  status: number;
  bytes: number;
  seconds: number;
  mibPerSecond: number;
  /** CPU time all cores spent busy during the download (curl, the path, the registry, the kernel), in ms. */
  machineCpuMs?: number;
  /** For the mirror: its CPU time (all threads, and the main thread's share) and minor page faults during this download. */
  mirrorCpuMs?: number;
  mirrorMainThreadMs?: number;
  mirrorMinorFaults?: number;
}

/** One autocannon run against one path. */
export interface ManifestRun {
  candidate: string;
  /** e.g. `HEAD tag`. */
  request: string;
  connections: number;
  round: number;
  requests: number;
  rps: number;
  /** Milliseconds, from per-response timings (sub-millisecond resolution). */
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Peak RSS of one mirror process through one memory scenario. */
export interface MemoryRun {
  scenario: string;
  /** RSS after start, before the scenario. */
  idleRssBytes: number;
  peakRssBytes: number;
  clients: number;
  seconds: number;
}

/** One cold `ctr image pull`. */
export interface CtrRun {
  candidate: string;
  round: number;
  seconds: number;
  ok: boolean;
}

/** N node mirrors pulling one image at the same moment, in one topology. */
export interface FleetRun {
  scenario: string;
  nodes: number;
  /** Blob bytes one node pulled (config and layers). */
  imageBytes: number;
  /** Bytes the origin registry sent (its access log), and its blob GETs. */
  originEgressBytes: number;
  originBlobGets: number;
  /** Bytes the shared tier sent to the nodes; absent without a tier. */
  tierEgressBytes?: number;
  /** From the first request to the last node done. */
  wallSeconds: number;
  /** Per-node pull time. */
  p50Seconds: number;
  p99Seconds: number;
  /** Peak RSS (VmHWM) of the node processes: median and largest. */
  peakRssMedianBytes: number;
  peakRssMaxBytes: number;
  /** Nodes whose every blob verified. */
  verified: number;
}

/** A performance target, checked against this run's numbers. */
export interface TargetCheck {
  name: string;
  measured: string;
  target: string;
  met: boolean;
}

/** Everything one bench run writes to bench/results/<time>.json. */
export interface BenchResults {
  mode: 'full' | 'quick';
  startedAt: string;
  finishedAt?: string;
  machine: Record<string, string | number>;
  mirror: { auth: boolean; cache: boolean };
  largeLayerBytes: number;
  blobs: BlobRun[];
  manifests: ManifestRun[];
  memory: MemoryRun[];
  ctr: CtrRun[];
  /** The fleet phase (only with `--only fleet`). */
  fleet: FleetRun[];
  targets: TargetCheck[];
  /** Runs that failed (wrong status, wrong bytes, a failed pull): the bench exits 1. */
  failures: string[];
  /** Phases not run, and why (e.g. the ctr phase without root). */
  skipped: string[];
}
