import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { CliError, type CliIO } from './io';

/** The path `--config` names, checked to be a readable file. */
export function resolveConfigPath(config: string, io: CliIO): string {
  const file = path.resolve(io.cwd, config);
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
    accessSync(file, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new CliError(`no config at ${file}: create one with "lifec-mirror --registry <name> init" (or "init --upstream <url>") or pass --config <file>`);
    }
    throw new CliError(`cannot read ${file}: ${code ?? (err as Error).message}`, 1, { cause: err });
  }
  if (!isFile) throw new CliError(`${file} is not a file`);
  return file;
}

/**
 * The registry host `--registry` names: `<name>.<registry-host>`
 * (`example` → `example.azurecr.io`), or the name itself when it is already
 * a host (has a dot or a port).
 */
export function registryHostOf(registry: string, registryHost: string): string {
  return /[.:]/.test(registry) ? registry.toLowerCase() : `${registry}.${registryHost}`.toLowerCase();
}
