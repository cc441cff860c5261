import path from 'node:path';
import { findProperty } from '../runmd/compile';
import type { EventSpec, MirrorConfig, StepSpec } from '../runmd/config';
import { RunmdError } from '../runmd/errors';
import { parseRegistryAddress } from '../oci/registry-address';

/** The suffix `.login-acr <name>` appends to a bare registry name. */
export const ACR_SUFFIX = 'azurecr.io';
/** The credential file name when neither `.install` nor `.login` names one. */
export const DEFAULT_CREDENTIAL_FILE = 'access_token';

/** The registry a `.login-acr` line logs in to. */
export interface AcrTarget {
  /** What `az acr login --name` gets: the bare name as written, or the host. */
  name: string;
  host: string;
  /** Where `/oauth2/exchange` is: the `.mirror` origin when declared (it may be plain HTTP), else https. */
  origin: string;
}

/**
 * Resolves a `.login-acr` input: a bare name becomes `<name>.azurecr.io`
 * (or `.suffix`), a host or URL is used as written.
 */
export function acrTarget(step: StepSpec, config: MirrorConfig): AcrTarget {
  const input = step.input.trim();
  if (input === '') throw new RunmdError(step.inputPos, '.login-acr needs the registry name (e.g. ".login-acr example" for example.azurecr.io)');
  const bare = /^[A-Za-z0-9-]+$/.test(input);
  let address: { host: string; origin: string };
  try {
    const suffix = findProperty(step.properties, 'suffix')?.input || ACR_SUFFIX;
    address = parseRegistryAddress(bare ? `${input.toLowerCase()}.${suffix}` : input);
  } catch (err) {
    throw new RunmdError(step.inputPos, (err as Error).message);
  }
  const declared = config.mirrors.find((m) => m.host === address.host);
  return { name: bare ? input : address.host, host: address.host, origin: declared?.origin ?? address.origin };
}

/** The event a step belongs to. */
export function eventOf(step: StepSpec, config: MirrorConfig): EventSpec | undefined {
  return config.events.find((e) => e.steps.includes(step));
}

/**
 * The file `.login-acr` writes: the input of the next `.install` in its
 * event, else the first `.login <file>` of the proxy, else `access_token`.
 */
export function credentialFileFor(step: StepSpec, config: MirrorConfig): string {
  const steps = eventOf(step, config)?.steps ?? [];
  const install = steps.slice(steps.indexOf(step) + 1).find((s) => s.name === 'install');
  if (install?.input) return install.input;
  const login = config.proxy?.routes.flatMap((r) => r.plugins).find((p) => p.name === 'login' && !/\s/.test(p.input.trim()) && p.input.trim() !== 'docker');
  return login?.input.trim() || DEFAULT_CREDENTIAL_FILE;
}

/**
 * The registries an `.install` line installs for: the host of the closest
 * `.login-acr` before it in its event, else the `.mirror` registries of the
 * event, else the only registry of the document.
 */
export function installTargets(step: StepSpec, config: MirrorConfig): string[] {
  const steps = eventOf(step, config)?.steps ?? [];
  const before = steps.slice(0, Math.max(0, steps.indexOf(step))).reverse();
  const login = before.find((s) => s.name === 'login-acr');
  if (login) return [acrTarget(login, config).host];
  const mirrors = steps.filter((s) => s.name === 'mirror').map((s) => parseRegistryAddress(s.input).host);
  if (mirrors.length > 0) return mirrors;
  if (config.mirrors.length === 1) return [config.mirrors[0]!.host];
  throw new RunmdError(step.pos, '.install cannot tell which registry the file is for: put it after a ".login-acr" or in the block of its ".mirror"');
}

/** A credential file name from a step input: a bare name in the home directory, or an absolute path. */
export function homeFile(home: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(home, file);
}

const SOURCES = ['az', 'msi'];

/** Compile-time check of `.login-acr`: a registry, and a known `.source`. */
export function checkLoginAcrStep(step: StepSpec): void {
  if (step.input.trim() === '') throw new RunmdError(step.inputPos, '.login-acr needs the registry name (e.g. ".login-acr example" for example.azurecr.io)');
  const source = findProperty(step.properties, 'source');
  if (source && !SOURCES.includes(source.input.trim())) {
    throw new RunmdError(source.inputPos, `.source is "az" (the Azure CLI) or "msi" (the node's managed identity), found "${source.input}"`);
  }
}

/** Compile-time check of `.install`: a bare file name or an absolute path. */
export function checkInstallStep(step: StepSpec): void {
  const file = step.input.trim();
  if (file === '') throw new RunmdError(step.inputPos, '.install needs the credential file to install (e.g. ".install access_token")');
  if (!path.isAbsolute(file) && (file.includes('/') || file === '.' || file === '..' || /\s/.test(file))) {
    throw new RunmdError(step.inputPos, `.install takes a file name in the mirror's home or an absolute path, found "${file}"`);
  }
}
