import { checkHostProperties } from '../containerd/host-config';
import type { StepSignature } from '../runmd/catalog';

/**
 * `.mirror <registry>` declares an upstream; the lines after it describe how
 * containerd reaches it (`.host`, `.server`, …) and how the mirror talks to it
 * (timeouts, `.default`).
 */
export const mirrorStep: StepSignature = {
  name: 'mirror',
  properties: ['host', 'server', 'https', 'skip_verify', 'header', 'hosts_dir', 'default', 'connect_timeout', 'headers_timeout', 'idle_timeout'],
  check: (step) => checkHostProperties(step.properties),
};

/** `.println <text>`: logs a line (e.g. "nothing to install"). */
export const printlnStep: StepSignature = { name: 'println', properties: [] };

/** `.timer <duration>`: waits, e.g. before a recovery event lets the engine loop. */
export const timerStep: StepSignature = { name: 'timer', properties: [] };

/** Every `.runtime` step the compiler accepts, by runmd name. */
export const STEPS: ReadonlyMap<string, StepSignature> = new Map([mirrorStep, printlnStep, timerStep].map((s) => [s.name, s]));
