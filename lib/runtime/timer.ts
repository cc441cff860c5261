import { setTimeout as sleep } from 'node:timers/promises';
import { parseDuration } from '../runmd/duration';
import { eventOf } from './credential-steps';
import type { StepRunner } from './step-context';

/**
 * `.timer <duration>`: waits; a stop request ends the wait early. Right after
 * a `.warm` it is that warm's period instead (the warm repeats at every tick)
 * and does not hold the engine.
 */
export const runTimer: StepRunner = async (step, ctx) => {
  const ms = parseDuration(step.input, step.inputPos);
  const steps = eventOf(step, ctx.config)?.steps ?? [];
  if (steps[steps.indexOf(step) - 1]?.name === 'warm') {
    ctx.logger.debug({ step: 'timer', ms }, 'the period of the .warm before it');
    return;
  }
  ctx.logger.debug({ step: 'timer', ms }, 'waiting');
  // A stop request ends the wait at once rather than holding the process.
  await sleep(ms, undefined, { signal: ctx.signal }).catch((err: unknown) => {
    if (!ctx.signal?.aborted) throw err;
  });
};
