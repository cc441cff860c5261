import path from 'node:path';
import type { Readable } from 'node:stream';
import { formatCredentialFile } from '../auth/credential-file';
import { registryDir } from '../auth/credential-source';
import { writeSecretFile } from '../auth/secret-file';
import { DEFAULT_CREDENTIAL_FILE } from '../runtime/credential-steps';
import { parseRegistryAddress } from '../oci/registry-address';
import { CliError, type CliIO } from './io';
import { registryHostOf } from './load-config';
import type { RegisterCommand } from './program';

/** `login <registry> --username U --password-stdin [--config file] [--file name]`. */
export const registerLogin: RegisterCommand = (program, env) => {
  program
    .command('login')
    .description("store a registry's username and password in the mirror's credential store (mode 0600), like docker login")
    .argument('<registry>', 'registry host (127.0.0.1:5000, ghcr.io) or name (example → example.azurecr.io)')
    .option('-u, --username <username>', 'the username')
    .option('--password-stdin', 'read the password (or token) from stdin')
    .option('-c, --config <file>', 'runmd config file; its directory is the mirror home', 'mirror.runmd')
    .option('--file <name>', 'credential file name, as ".login <name>" reads it', DEFAULT_CREDENTIAL_FILE)
    .action((registry: string, options: LoginOptions) => loginCommand(registry, options, env.io as LoginIO, env.globals().registryHost));
};

export interface LoginOptions {
  username?: string;
  passwordStdin?: boolean;
  config: string;
  file: string;
}

/** The CLI's streams plus stdin (the bin's process.stdin unless a test passes its own). */
export type LoginIO = CliIO & { stdin?: Readable };

/**
 * `lifec-mirror login`: writes `{"username","password"}` to
 * `<home>/.world/<registry host>/<file>` atomically with mode 0600, where
 * `.login <file>` finds it for that registry and no other. The password only
 * comes from stdin: on the command line it would show in `ps` and shell history.
 */
export async function loginCommand(registry: string, options: LoginOptions, io: LoginIO, registrySuffix: string): Promise<void> {
  let host: string;
  try {
    host = parseRegistryAddress(registryHostOf(registry, registrySuffix)).host;
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  if (!options.username) throw new CliError('login needs --username (for ACR, use ".login-acr" in the config instead)', 2);
  if (!options.passwordStdin) throw new CliError('pass the password on stdin with --password-stdin (a password in the arguments would show in ps and shell history)', 2);
  if (!/^[A-Za-z0-9._-]+$/.test(options.file)) throw new CliError(`--file takes a bare file name, found "${options.file}"`, 2);
  const password = (await readAll(io.stdin ?? process.stdin)).replace(/\r?\n$/, '');
  if (password === '') throw new CliError('no password on stdin', 2);
  const home = path.dirname(path.resolve(io.cwd, options.config));
  const target = path.join(registryDir(home, host), options.file);
  await writeSecretFile(target, formatCredentialFile(options.username, password));
  io.stdout.write(`stored credentials for ${host} in ${target} (mode 0600); routes with ".login ${options.file}" use them\n`);
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}
