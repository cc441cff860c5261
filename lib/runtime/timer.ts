import { setTimeout as sleep } from 'node:timers/promises';
import { parseDuration } from '../runmd/duration';
import type { StepRunner } from './step-context';

/** `.timer <duration>`: waits; a stop request ends the wait early. */
export const runTimer: StepRunner = async (step, ctx) => {
  const ms = parseDuration(step.input, step.inputPos);
  ctx.logger.debug({ step: 'timer', ms }, 'waiting');
  // A stop request ends the wait at once rather than holding the process.
  await sleep(ms, undefined, { signal: ctx.signal }).catch((err: unknown) => {
    if (!ctx.signal?.aborted) throw err;
  });
};
