import fs from 'node:fs/promises';
import path from 'node:path';
import { registryDir } from '../auth/credential-source';
import { writeSecretFile } from '../auth/secret-file';
import type { StepSpec } from '../runmd/config';
import { homeFile, installTargets } from './credential-steps';
import type { StepContext } from './step-context';

/**
 * `.install <file>`: copies a credential file (written by `.login-acr`, or
 * put there by the operator) into the registry's own directory,
 * `<home>/.world/<registry host>/<file>`, mode 0600, where `.login <file>`
 * reads it for that registry and no other. A missing file is logged, not
 * fatal: the login before it already said why, and the mirror still starts.
 */
export async function runInstall(step: StepSpec, ctx: StepContext): Promise<void> {
  const source = homeFile(ctx.home, step.input);
  for (const host of installTargets(step, ctx.config)) {
    try {
      const target = await installCredentialFile(source, host, ctx.home);
      ctx.logger.info({ step: 'install', registry: host, file: path.relative(ctx.home, target) }, 'credential file installed');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const cause = code === 'ENOENT' ? `${source} does not exist (did the login before it fail?)` : `${source} cannot be copied (${code ?? (err as Error).message})`;
      ctx.logger.error({ step: 'install', registry: host }, `cannot install credentials for ${host}: ${cause}`);
    }
  }
}

/** Copies `source` to `<home>/.world/<host>/<basename>` atomically with mode 0600; returns the target. */
export async function installCredentialFile(source: string, host: string, home: string): Promise<string> {
  const target = path.join(registryDir(home, host), path.basename(source));
  await writeSecretFile(target, await fs.readFile(source, 'utf8'));
  return target;
}
