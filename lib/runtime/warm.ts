import { findProperty } from '../runmd/compile';
import type { StepSpec } from '../runmd/config';
import { parseDuration } from '../runmd/duration';
import { RunmdError } from '../runmd/errors';
import { formatPlatform, hostPlatform, parsePlatform, type Platform } from '../oci/platform';
import { parseWarmReferences, type WarmRequest } from '../warm/job';
import { eventOf } from './credential-steps';
import type { StepContext } from './step-context';

/** The image references of a `.warm` line: comma separated. */
export function warmReferences(step: StepSpec): string[] {
  return step.input.split(',').map((r) => r.trim()).filter((r) => r !== '');
}

/** `: .platform linux/amd64, linux/arm64` or `: .platform all`; the host's platform without the line. */
export function warmPlatforms(step: StepSpec): Platform[] | 'all' {
  const line = findProperty(step.properties, 'platform');
  if (!line) return [hostPlatform()];
  if (line.input.trim() === 'all') return 'all';
  try {
    return line.input.split(',').map((p) => parsePlatform(p));
  } catch (err) {
    throw new RunmdError(line.inputPos, (err as Error).message);
  }
}

/** Compile-time check of `.warm`: at least one reference, each a valid one, and valid platforms. */
export function checkWarmStep(step: StepSpec): void {
  const references = warmReferences(step);
  if (references.length === 0) throw new RunmdError(step.inputPos, '.warm needs the images to warm (e.g. ".warm redis:7, registry.example/app:v2")');
  try {
    parseWarmReferences(references);
  } catch (err) {
    throw new RunmdError(step.inputPos, (err as Error).message);
  }
  warmPlatforms(step);
}

/** The `.timer` right after a `.warm` in its event: the warm's period, not a wait. */
export function periodOf(step: StepSpec, ctx: Pick<StepContext, 'config'>): { timer: StepSpec; ms: number } | undefined {
  const steps = eventOf(step, ctx.config)?.steps ?? [];
  const next = steps[steps.indexOf(step) + 1];
  return next?.name === 'timer' ? { timer: next, ms: parseDuration(next.input, next.inputPos) } : undefined;
}

/**
 * `.warm <image>, …`: starts a warm job in the background and returns at
 * once, so the server's start is not delayed (the job waits for the server
 * to listen, then reads through it). When a `.timer <duration>` follows, the
 * warm runs again every that long while the mirror runs, and that `.timer`
 * does not wait (see runTimer).
 */
export async function runWarm(step: StepSpec, ctx: StepContext): Promise<void> {
  const services = ctx.services;
  if (!services) return;
  if (!services.cache.content) {
    ctx.logger.warn({ step: 'warm' }, '.warm does nothing: the cache is off (".cache off")');
    return;
  }
  const platforms = warmPlatforms(step);
  const request: WarmRequest = { references: warmReferences(step), platforms, source: 'runmd' };
  const period = periodOf(step, ctx);
  const shown = { step: 'warm', images: request.references, platforms: platforms === 'all' ? 'all' : platforms.map(formatPlatform) };
  if (period) {
    services.warm.repeat(`${step.pos.file}:${step.pos.line}`, request, period.ms);
    ctx.logger.info({ ...shown, everyMs: period.ms }, 'warming in the background, again at every tick');
  } else {
    const job = services.warm.start(request);
    ctx.logger.info({ ...shown, warm: job.id }, 'warming in the background');
  }
}
