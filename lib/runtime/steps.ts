import type { StepSignature } from '../runmd/catalog';

/**
 * `.mirror <registry>` declares an upstream; the lines after it describe how
 * containerd reaches it (`.host`, `.server`, …) and how the mirror talks to it
 * (timeouts, `.default`).
 */
export const mirrorStep: StepSignature = {
  name: 'mirror',
  properties: ['host', 'server', 'https', 'skip_verify', 'header', 'default', 'connect_timeout', 'headers_timeout', 'idle_timeout'],
};

/** Every `.runtime` step the compiler accepts, by runmd name. */
export const STEPS: ReadonlyMap<string, StepSignature> = new Map([mirrorStep].map((s) => [s.name, s]));
