import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { MirrorConfig, StepSpec } from '../runmd/config';
import type { MirrorServices } from '../services';

/**
 * What a `.runtime` step gets when the engine runs it. Steps touch the disk
 * and the host (that is their job), but only through what is named here, so
 * a test can point `home` and `hostsDir` at a temp dir.
 */
export interface StepContext {
  /** The mirror's home directory: `.work/`, credential files and state live under it. */
  home: string;
  /** The whole compiled document (a step may read `.mirror` specs or the `.proxy`). */
  config: MirrorConfig;
  logger: Logger;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  /** The services of the mirror being started, when the engine runs inside `start`. */
  services?: MirrorServices;
  /** containerd's hosts directory, when the command line overrides it (`--hosts-dir`). */
  hostsDir?: string;
  /** Aborts when the process is asked to stop; long waits (`.timer`) end early. */
  signal?: AbortSignal;
}

/**
 * Runs one `.runtime` step. It throws (a `RunmdError` for bad input, any
 * `Error` for a failure) to fail the event; a step that writes files writes
 * them atomically, so a failure never leaves half a file behind.
 */
export type StepRunner = (step: StepSpec, ctx: StepContext) => Promise<void>;

/**
 * A step failure that running the step again cannot fix (a directory that
 * is not writable, a file that is not there). The engine's `.loop` does not
 * retry it: the run ends with this message.
 */
export class PermanentStepError extends Error {
  override name = 'PermanentStepError';
}
