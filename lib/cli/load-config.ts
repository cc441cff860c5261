import { accessSync, constants, lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import { renderDefaultRunmd } from './default-runmd';
import { CliError, type CliIO } from './io';

/** The file every command reads from the working directory when `--config` names none. */
export const CONFIG_FILE = 'mirror.runmd';

/** Where a command's configuration comes from: a runmd file, or the built-in default. */
export type ConfigSource = { kind: 'file'; file: string } | { kind: 'built-in'; runmd: string };

/**
 * The file `--config` names; without it `./mirror.runmd`; and when there is
 * no such file either, the built-in default (renderDefaultRunmd), so a first
 * `lifec-mirror start` serves the public registries instead of failing.
 */
export function findConfig(config: string | undefined, io: CliIO): ConfigSource {
  if (config !== undefined) return { kind: 'file', file: resolveConfigPath(config, io) };
  const local = path.resolve(io.cwd, CONFIG_FILE);
  // lstat: anything at that path (a broken link, a directory) is the user's config and is reported, not ignored.
  const present = (() => {
    try {
      lstatSync(local);
      return true;
    } catch {
      return false;
    }
  })();
  return present ? { kind: 'file', file: resolveConfigPath(local, io) } : { kind: 'built-in', runmd: renderDefaultRunmd() };
}

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
