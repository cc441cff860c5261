import { runInstall } from './install';
import { runLoginAcr } from './login-acr';
import { runMirror } from './mirror';
import { runOverlaybdAuth } from './overlaybd-auth';
import { runPrintln } from './println';
import type { StepRunner } from './step-context';
import { runTimer } from './timer';
import { runWarm } from './warm';

export type { StepContext, StepRunner } from './step-context';

/**
 * The code behind every `.runtime` step, by runmd name. Each name here has a
 * `StepSignature` in `./steps` (what the compiler checks); the engine looks
 * runners up here.
 */
export const STEP_RUNNERS: ReadonlyMap<string, StepRunner> = new Map<string, StepRunner>([
  ['mirror', runMirror],
  ['println', runPrintln],
  ['timer', runTimer],
  ['login-acr', runLoginAcr],
  ['install', runInstall],
  ['overlaybd-auth', runOverlaybdAuth],
  ['warm', runWarm],
]);
