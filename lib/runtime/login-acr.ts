import path from 'node:path';
import { AcrLoginError, refreshTokenFromAzCli, refreshTokenFromManagedIdentity } from '../auth/acr';
import { writeSecretFile } from '../auth/secret-file';
import { findProperty } from '../runmd/compile';
import type { StepSpec } from '../runmd/config';
import { acrTarget, credentialFileFor, homeFile, installTargets, type AcrTarget } from './credential-steps';
import { installCredentialFile } from './install';
import type { StepContext } from './step-context';

/** Where a refresh token can come from, in the order tried by default. */
export const ACR_SOURCES = ['az', 'msi'] as const;
export type AcrSource = (typeof ACR_SOURCES)[number];

/**
 * `.login-acr <registry>`: gets an ACR refresh token (Azure CLI, then the
 * node's managed identity, or the one `.source` names) and writes it, mode
 * 0600, to the credential file in the mirror's home. A failure is one error
 * line with cause and remedy, not a crash: the mirror starts anyway and
 * answers 503 for the registry (containerd falls back) until a later attempt
 * succeeds; requests retry the login themselves, at most every 30 s.
 */
export async function runLoginAcr(step: StepSpec, ctx: StepContext): Promise<void> {
  const target = acrTarget(step, ctx.config);
  const file = credentialFileFor(step, ctx.config);
  const logins = ctx.services?.auth.credentials.logins;
  const installs = ctx.config.events.flatMap((e) => e.steps).filter((s) => s.name === 'install' && installTargets(s, ctx.config).includes(target.host));
  const login = async (): Promise<void> => {
    const token = await obtainRefreshToken(step, target, ctx);
    await writeSecretFile(homeFile(ctx.home, file), `${token}\n`);
  };
  // Without an `.install` for the registry, install right away: `.login <file>` reads the registry's own copy.
  const loginAndInstall = async (): Promise<void> => {
    await login();
    if (installs.length === 0) await installCredentialFile(homeFile(ctx.home, file), target.host, ctx.home);
  };
  // A renewal from a request also installs, so the file `.login` reads is the fresh one.
  logins?.setRenewer(target.host, async () => {
    await loginAndInstall();
    for (const install of installs) await installCredentialFile(homeFile(ctx.home, install.input), target.host, ctx.home);
  });
  try {
    await loginAndInstall();
    logins?.succeeded(target.host);
    ctx.logger.info({ step: 'login-acr', registry: target.host, file: path.basename(file) }, 'ACR refresh token written');
  } catch (err) {
    const reason = describe(err);
    logins?.failed(target.host, reason);
    ctx.logger.error({ step: 'login-acr', registry: target.host }, `cannot log in to ${target.host}: ${reason}; the mirror answers 503 for it until a login succeeds`);
  }
}

async function obtainRefreshToken(step: StepSpec, target: AcrTarget, ctx: StepContext): Promise<string> {
  const failures: string[] = [];
  for (const source of sourcesOf(step)) {
    try {
      if (source === 'az') return await refreshTokenFromAzCli(target.name, ctx.env);
      return await refreshTokenFromManagedIdentity({
        origin: target.origin,
        host: target.host,
        endpoint: findProperty(step.properties, 'msi_endpoint')?.input || ctx.env.MSI_ENDPOINT || undefined,
        clientId: findProperty(step.properties, 'client_id')?.input || undefined,
        tenant: findProperty(step.properties, 'tenant')?.input || undefined,
        signal: ctx.signal,
      });
    } catch (err) {
      if (!(err instanceof AcrLoginError)) throw err;
      failures.push(`${source === 'az' ? 'Azure CLI' : 'managed identity'}: ${err.message} (${err.remedy})`);
    }
  }
  throw new Error(failures.join('; '));
}

/** `.source az`, `.source msi`, or both in order when unset. */
export function sourcesOf(step: StepSpec): AcrSource[] {
  const line = findProperty(step.properties, 'source');
  return line ? [line.input.trim() as AcrSource] : [...ACR_SOURCES];
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
