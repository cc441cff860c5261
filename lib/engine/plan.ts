import type { EventSpec, MirrorConfig, StepSpec } from '../runmd/config';

/** A step with the id `dump` shows and `start --id` takes. */
export interface NumberedStep {
  id: number;
  step: StepSpec;
}

/** An event block with its id and numbered steps. */
export interface NumberedEvent {
  id: number;
  event: EventSpec;
  steps: NumberedStep[];
}

/** The id of the engine itself; events and steps follow from 1. */
export const ENGINE_ID = 0;

/**
 * Numbers the engine, then every event block and its steps in document
 * order. Ids depend on the file alone (not on the engine's sequence), so
 * the same file always gives the same ids.
 */
export function numberEvents(config: MirrorConfig): NumberedEvent[] {
  let next = ENGINE_ID + 1;
  return config.events.map((event) => {
    const id = next++;
    return { id, event, steps: event.steps.map((step) => ({ id: next++, step })) };
  });
}

/** One event as the engine runs it: `.once` or `.start`, and its steps. */
export interface PlannedEvent extends NumberedEvent {
  once: boolean;
}

/**
 * The events in the order the engine runs them. A sequence entry runs every
 * block tagged with its event name, in document order.
 */
export function planRun(config: MirrorConfig): PlannedEvent[] {
  const numbered = numberEvents(config);
  return config.engine.sequence.flatMap((entry) =>
    numbered.filter((n) => n.event.name === entry.event).map((n) => ({ ...n, once: entry.once })),
  );
}

/**
 * Drops what comes before id `startAt` in the run: an event id starts at
 * that event, a step id at that step.
 *
 * @throws Error when the id is unknown or names a block the engine never runs
 */
export function skipBefore(plan: PlannedEvent[], startAt: number, config: MirrorConfig): PlannedEvent[] {
  if (startAt === ENGINE_ID) return plan;
  for (const [index, planned] of plan.entries()) {
    if (planned.id === startAt) return plan.slice(index);
    const stepIndex = planned.steps.findIndex((s) => s.id === startAt);
    if (stepIndex >= 0) return [{ ...planned, steps: planned.steps.slice(stepIndex) }, ...plan.slice(index + 1)];
  }
  const all = numberEvents(config);
  const last = all.flatMap((e) => [e.id, ...e.steps.map((s) => s.id)]).pop() ?? ENGINE_ID;
  const owner = all.find((e) => e.id === startAt || e.steps.some((s) => s.id === startAt));
  if (owner) throw new Error(`id ${startAt} is in event "${owner.event.name}", which the engine does not run`);
  throw new Error(`no step with id ${startAt} in ${config.file} (ids run from ${ENGINE_ID} to ${last}; see "lifec-mirror dump")`);
}
