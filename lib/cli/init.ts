import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { readIfExists, writeFileAtomic } from '../containerd/atomic-write';
import { setConfigPath } from '../containerd/containerd-config';
import { DEFAULT_HOSTS_DIR } from '../containerd/hosts-dir';
import { silentLogger } from '../log';
import { createMirror } from '../mirror';
import { OVERLAYBD_CONFIG } from '../runtime/overlaybd-auth';
import { parseRegistryAddress } from '../oci/registry-address';
import { renderDefaultRunmd } from './default-runmd';
import { CliError, type CliIO } from './io';
import { registryHostOf } from './load-config';
import type { RegisterCommand } from './program';
import { renderMirrorRunmd, type TemplateOptions } from './runmd-template';

export interface InitOptions {
  config: string;
  registry?: string;
  registryHost: string;
  mirrorAddress: string;
  teleportFormat: string;
  upstream?: string;
  /** `--default`: the built-in default (the public registries) instead of one registry. */
  default?: boolean;
  force?: boolean;
  /** `--containerd-config [file]`: true for the default file. */
  containerdConfig?: string | boolean;
  hostsDir?: string;
}

const CONTAINERD_CONFIG = '/etc/containerd/config.toml';

/** `init [--mirror-address a] [--teleport-format f] [--upstream url] [--force] [--containerd-config [file]]`. */
export const registerInit: RegisterCommand = (program, env) => {
  program
    .command('init')
    .description('write a mirror.runmd for --registry (or --upstream, or --default) in the current directory')
    .option('-c, --config <file>', 'the file to write', 'mirror.runmd')
    .option('--mirror-address <host:port>', 'where the mirror listens', 'localhost:8578')
    .option('--teleport-format <format>', 'streamable image format to serve (overlaybd, azure-streaming)', 'overlaybd')
    .option('--upstream <url>', 'the registry URL, e.g. http://127.0.0.1:5000 for a plain-HTTP registry (no Azure login)')
    .option('--default', 'write the built-in default that "start" serves without a config: the public registries')
    .option('--force', 'replace an existing file')
    .option('--containerd-config [file]', `also set config_path in containerd's config (default ${CONTAINERD_CONFIG}), with a backup`)
    .option('--hosts-dir <dir>', 'the hosts directory config_path names', DEFAULT_HOSTS_DIR)
    .action(async (options: Omit<InitOptions, 'registry' | 'registryHost'>) => {
      const { registry, registryHost } = env.globals();
      await initCommand({ ...options, registry, registryHost }, env.io, Date.now());
    });
};

/**
 * `lifec-mirror init`: writes a readable mirror.runmd (checked to compile
 * before it is written, and written atomically) and prints its path. It
 * never replaces a file without `--force`.
 */
export async function initCommand(options: InitOptions, io: CliIO, now: number): Promise<void> {
  const file = path.resolve(io.cwd, options.config);
  if (existsSync(file) && !options.force) throw new CliError(`${file} already exists: pass --force to replace it`);
  const text = options.default ? defaultText(options) : renderMirrorRunmd(templateOptions(options));
  // Prove the file compiles and its plugins accept their inputs before writing it.
  await createMirror({ runmd: text, configPath: file, home: path.dirname(file), logger: silentLogger() }).close();
  await writeFileAtomic(file, text).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot write ${file}: ${err.code ?? err.message}`, 1, { cause: err });
  });
  io.stdout.write(`${file}\n`);
  if (options.containerdConfig !== undefined && options.containerdConfig !== false) {
    const target = options.containerdConfig === true ? CONTAINERD_CONFIG : path.resolve(io.cwd, options.containerdConfig);
    await enableHostsDir(target, path.resolve(io.cwd, options.hostsDir ?? DEFAULT_HOSTS_DIR), io, now);
  }
}

function defaultText(options: InitOptions): string {
  if (options.upstream !== undefined || options.registry !== undefined) {
    throw new CliError('--default writes the public registries: leave out --registry and --upstream, or add them to the written file');
  }
  return renderDefaultRunmd(options.mirrorAddress);
}

function templateOptions(options: InitOptions): TemplateOptions {
  const common = { mirrorAddress: options.mirrorAddress, teleportFormat: options.teleportFormat, overlaybd: existsSync(OVERLAYBD_CONFIG) };
  if (options.upstream !== undefined) {
    let host: string;
    try {
      host = parseRegistryAddress(options.upstream).host;
    } catch (err) {
      throw new CliError(`--upstream: ${(err as Error).message}`);
    }
    return { ...common, registryHost: host, upstream: options.upstream };
  }
  if (options.registry === undefined) {
    throw new CliError('init needs the registry: "lifec-mirror --registry <name> init" (an ACR name) or "init --upstream <url>"');
  }
  const host = registryHostOf(options.registry, options.registryHost);
  // A bare name, or a host under an Azure registry domain, is an ACR: log in with .login-acr.
  const acr = !/[.:]/.test(options.registry) || /\.azurecr\.(io|cn|us)$/.test(host);
  return { ...common, registryHost: host, upstream: host, acrName: acr ? host.split('.')[0] : undefined };
}

/** Sets `config_path` in containerd's config.toml, keeping a backup of the previous file. */
async function enableHostsDir(configFile: string, hostsDir: string, io: CliIO, now: number): Promise<void> {
  const before = await readIfExists(configFile);
  let edit;
  try {
    edit = setConfigPath(before ?? '', hostsDir);
  } catch (err) {
    throw new CliError(`${configFile}: ${(err as Error).message}`, 1, { cause: err });
  }
  if (!edit.changed) {
    io.stdout.write(`${configFile} already has config_path = "${hostsDir}"\n`);
    return;
  }
  const mode = before === undefined ? 0o644 : statSync(configFile).mode & 0o777;
  if (before !== undefined) {
    const backup = `${configFile}.lifec-backup-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    await writeFileAtomic(backup, before, mode);
    io.stdout.write(`kept the previous ${path.basename(configFile)} as ${backup}\n`);
  }
  await writeFileAtomic(configFile, edit.text, mode);
  io.stdout.write(`set config_path = "${hostsDir}" in ${configFile}: restart containerd to use it\n`);
}
