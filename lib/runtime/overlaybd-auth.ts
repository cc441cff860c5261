import { stat } from 'node:fs/promises';
import path from 'node:path';
import { readIfExists, writeFileAtomic } from '../containerd/atomic-write';
import { PermanentStepError, type StepRunner } from './step-context';

/** Where the overlaybd snapshotter keeps its settings when installed from its packages. */
export const OVERLAYBD_CONFIG = '/etc/overlaybd/overlaybd.json';

/**
 * The `credentialConfig` that makes overlaybd ask the mirror for registry
 * credentials: mode `http` calls `GET <path>?remote_url=<blob url>` (the
 * mirror's `/auth`), in the `host:port/auth` form overlaybd expects.
 */
export function overlaybdCredentialConfig(mirrorAddress: string): { mode: string; path: string } {
  return { mode: 'http', path: `${mirrorAddress}/auth` };
}

/**
 * `.overlaybd-auth [config file]`: points overlaybd's credential config at
 * the mirror's `/auth`, keeping every other setting. A file it changes is
 * backed up first and replaced atomically with the same mode; a file that
 * already says so is left alone. overlaybd reads the file when it starts, so
 * restart `overlaybd-tcmu` afterwards.
 */
export const runOverlaybdAuth: StepRunner = async (step, ctx) => {
  const file = path.resolve(ctx.home, step.input || OVERLAYBD_CONFIG);
  const address = ctx.config.proxy?.address;
  if (!address) throw new PermanentStepError(`.overlaybd-auth needs a "+ .proxy <address>" to point overlaybd at`);
  const text = await readIfExists(file);
  if (text === undefined) throw new PermanentStepError(`${file} does not exist: install the overlaybd snapshotter, or remove the .overlaybd-auth step`);
  const settings = parseSettings(text, file);
  const wanted = overlaybdCredentialConfig(address);
  // Only an object's settings are kept: spreading a string or an array would write its characters or items as keys.
  const current = isPlainObject(settings.credentialConfig) ? settings.credentialConfig : undefined;
  if (current?.mode === wanted.mode && current.path === wanted.path) {
    ctx.logger.info({ step: 'overlaybd-auth', file }, 'overlaybd already asks the mirror for credentials');
    return;
  }
  const mode = (await stat(file)).mode & 0o777;
  const backup = `${file}.lifec-backup-${new Date(ctx.clock.now()).toISOString().replace(/[:.]/g, '-')}`;
  await writeFileAtomic(backup, text, mode);
  await writeFileAtomic(file, `${JSON.stringify({ ...settings, credentialConfig: { ...current, ...wanted } }, null, 2)}\n`, mode);
  ctx.logger.info({ step: 'overlaybd-auth', file, backup, path: wanted.path }, 'overlaybd now asks the mirror for credentials; restart overlaybd-tcmu to apply');
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseSettings(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the file; a fixed one cannot echo a secret.
    throw new PermanentStepError(`${file} is not valid JSON; it was left unchanged`);
  }
  if (!isPlainObject(value)) {
    throw new PermanentStepError(`${file} does not hold a JSON object; it was left unchanged`);
  }
  return value;
}
