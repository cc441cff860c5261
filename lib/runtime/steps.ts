import { checkHostProperties } from '../containerd/host-config';
import { readFetchOrder } from '../upstream/endpoints/declaration';
import type { StepSignature } from '../runmd/catalog';
import { checkInstallStep, checkLoginAcrStep } from './credential-steps';
import { checkWarmStep } from './warm';

/**
 * `.mirror <registry>` declares an upstream; the lines after it describe how
 * containerd reaches it (`.host`, `.server`, …) and how the mirror talks to it
 * (timeouts, `.default`, and where its content is fetched from: `.endpoint`,
 * `.origin`, `.ca`, `.client_cert`).
 */
export const mirrorStep: StepSignature = {
  name: 'mirror',
  properties: ['host', 'server', 'https', 'skip_verify', 'header', 'hosts_dir', 'default', 'connect_timeout', 'headers_timeout', 'idle_timeout', 'manifest_timeout', 'min_rate', 'endpoint', 'origin', 'ca', 'client_cert'],
  check: (step) => {
    checkHostProperties(step.properties);
    readFetchOrder(step.properties);
  },
};

/** `.println <text>`: logs a line (e.g. "nothing to install"). */
export const printlnStep: StepSignature = { name: 'println', properties: [] };

/** `.timer <duration>`: waits, e.g. before a recovery event lets the engine loop. */
export const timerStep: StepSignature = { name: 'timer', properties: [] };

/** `.login-acr <registry>`: gets an ACR refresh token (`.source az|msi`, `.tenant`, `.client_id`, `.msi_endpoint`, `.suffix`). */
export const loginAcrStep: StepSignature = {
  name: 'login-acr',
  properties: ['source', 'tenant', 'client_id', 'msi_endpoint', 'suffix'],
  check: checkLoginAcrStep,
};

/** `.install <file>`: copies a credential file into the registry's directory, mode 0600. */
export const installStep: StepSignature = { name: 'install', properties: [], check: checkInstallStep };

/** `.overlaybd-auth [config file]`: points the overlaybd snapshotter's credential config at the mirror's `/auth`. */
export const overlaybdAuthStep: StepSignature = { name: 'overlaybd-auth', properties: [] };

/** `.warm <image>, …` (`.platform os/arch, …` or `all`): warms the cache in the background, again at each tick of a `.timer` right after it. */
export const warmStep: StepSignature = { name: 'warm', properties: ['platform'], check: checkWarmStep };

/** Every `.runtime` step the compiler accepts, by runmd name. */
export const STEPS: ReadonlyMap<string, StepSignature> = new Map(
  [mirrorStep, printlnStep, timerStep, loginAcrStep, installStep, overlaybdAuthStep, warmStep].map((s) => [s.name, s]),
);
