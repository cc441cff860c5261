import type { StepRunner } from './step-context';

/** `.println <text>`: logs the text at info level. */
export const runPrintln: StepRunner = async (step, ctx) => {
  ctx.logger.info({ step: 'println' }, step.input);
};
