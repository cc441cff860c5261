import { setTimeout as sleepFor } from 'node:timers/promises';
import type { MirrorConfig } from '../runmd/config';
import { RunmdError } from '../runmd/errors';
import { PermanentStepError, type StepContext, type StepRunner } from '../runtime/step-context';
import { ENGINE_ID, planRun, skipBefore, type PlannedEvent } from './plan';

/** A step failed and the engine will not (or may not) retry it. */
export class EngineError extends Error {
  override name = 'EngineError';
}

export interface EngineOptions {
  runners: ReadonlyMap<string, StepRunner>;
  ctx: StepContext;
  /** `start --id n`: skip the steps before id n (first pass only). */
  startAt?: number;
  /** Wait before retry number `attempt` (0-based); default 1 s doubling to 60 s. */
  backoff?: (attempt: number) => number;
  /** Injected for tests; resolves early when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Whether the engine ran every event or was asked to stop. */
export type EngineOutcome = 'done' | 'stopped';

const defaultBackoff = (attempt: number): number => Math.min(1000 * 2 ** attempt, 60_000);
const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  sleepFor(ms, undefined, { signal }).catch(() => undefined);

/**
 * Checks what the engine would run, before anything runs: the `--id` exists
 * and every step has a runner in this build.
 *
 * @throws Error with one readable line
 */
export function prepareRun(config: MirrorConfig, runners: ReadonlyMap<string, StepRunner>, startAt = ENGINE_ID): PlannedEvent[] {
  const plan = skipBefore(planRun(config), startAt, config);
  for (const { step } of plan.flatMap((p) => p.steps)) {
    if (!runners.has(step.name)) throw new RunmdError(step.pos, `step ".${step.name}" cannot run: no runner for it in this build`);
  }
  return plan;
}

/**
 * Runs the engine's events in order, each step in turn. With `.loop`, a
 * failed `.start` event is restarted after a back-off (1 s, 2 s, 4 s … 60 s);
 * a failed `.once` event (one-time host setup) and a configuration mistake
 * (`RunmdError`) or a `PermanentStepError` end the run, since retrying
 * cannot fix them.
 */
export async function runEngine(config: MirrorConfig, options: EngineOptions): Promise<EngineOutcome> {
  const { ctx } = options;
  const backoff = options.backoff ?? defaultBackoff;
  const sleep = options.sleep ?? defaultSleep;
  const whole = planRun(config);
  for (const planned of prepareRun(config, options.runners, options.startAt)) {
    // `--id` skips steps on the first pass only: a `.loop` retry runs the whole event again.
    const retried = { ...planned, steps: whole.find((p) => p.id === planned.id)?.steps ?? planned.steps };
    for (let attempt = 0; ; attempt++) {
      try {
        if (await runEvent(attempt === 0 ? planned : retried, options)) return 'stopped';
        break;
      } catch (caught) {
        const err = caught as Error;
        if (ctx.signal?.aborted) return 'stopped';
        const retry = config.engine.loop && !planned.once && !(err instanceof RunmdError) && !(err.cause instanceof PermanentStepError);
        if (!retry) throw err instanceof RunmdError ? err : new EngineError(err.message, { cause: err });
        const delayMs = backoff(attempt);
        ctx.logger.warn({ event: planned.event.name, attempt: attempt + 1, delayMs, err: err.message }, 'event failed; .loop restarts it');
        await sleep(delayMs, ctx.signal);
        if (ctx.signal?.aborted) return 'stopped';
      }
    }
  }
  return 'done';
}

/** Runs one event's steps; true when a stop request interrupted it. */
async function runEvent(planned: PlannedEvent, options: EngineOptions): Promise<boolean> {
  const { ctx } = options;
  ctx.logger.info({ id: planned.id, event: planned.event.name }, 'event');
  for (const { id, step } of planned.steps) {
    if (ctx.signal?.aborted) return true;
    const runner = options.runners.get(step.name);
    if (!runner) throw new RunmdError(step.pos, `step ".${step.name}" cannot run: no runner for it in this build`);
    ctx.logger.info({ id, event: planned.event.name, step: `.${step.name}` }, 'step');
    try {
      await runner(step, ctx);
    } catch (err) {
      if (err instanceof RunmdError) throw err;
      throw new Error(`step ${id} .${step.name} failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return false;
}
