import path from 'node:path';
import { hostsConfigFromMirror } from '../containerd/host-config';
import { hostsDirectoryName } from '../containerd/hosts-dir';
import { renderHostsToml } from '../containerd/hosts-toml';
import { installMirrorHosts, resolveHostsDir } from '../containerd/install';
import { compileFile } from './compile-file';
import { CliError, type CliIO } from './io';
import { resolveConfigPath } from './load-config';
import type { RegisterCommand } from './program';

/** `hosts [--config file] [--hosts-dir dir] [--dry-run]`. */
export const registerHosts: RegisterCommand = (program, env) => {
  program
    .command('hosts')
    .description("write containerd's hosts.toml for each .mirror without starting the server")
    .option('-c, --config <file>', 'runmd config file', 'mirror.runmd')
    .option('--hosts-dir <dir>', "containerd's hosts directory (default: .hosts_dir, else /etc/containerd/certs.d)")
    .option('--dry-run', 'print the files instead of writing them')
    .action((options: HostsOptions) => hostsCommand(options, env.io, Date.now()));
};

export interface HostsOptions {
  config: string;
  hostsDir?: string;
  dryRun?: boolean;
}

/**
 * `lifec-mirror hosts`: writes containerd's hosts.toml for every `.mirror`
 * with a `.host` line, without starting the server; `--dry-run` prints them.
 */
export async function hostsCommand(options: HostsOptions, io: CliIO, now: number): Promise<void> {
  const file = resolveConfigPath(options.config, io);
  const config = compileFile(file);
  const mirrors = config.mirrors.filter((m) => hostsConfigFromMirror(m).hosts.length > 0);
  if (mirrors.length === 0) throw new CliError(`${file} has no ".mirror" with a ".host" line: there is no hosts.toml to write`);
  const hostsDir = options.hostsDir && path.resolve(io.cwd, options.hostsDir);
  for (const mirror of mirrors) {
    if (options.dryRun) {
      const target = path.join(resolveHostsDir(mirror, hostsDir), hostsDirectoryName(mirror.host), 'hosts.toml');
      io.stdout.write(`# ${target}\n${renderHostsToml(hostsConfigFromMirror(mirror), file)}\n`);
      continue;
    }
    const result = await installMirrorHosts(mirror, { home: path.dirname(file), hostsDir, source: file, now });
    if (!result) continue;
    if (result.installed?.backup) io.stdout.write(`kept the previous file as ${result.installed.backup}\n`);
    if (result.installed) io.stdout.write(`${result.installed.outcome === 'unchanged' ? 'unchanged' : 'wrote'} ${result.installed.file}\n`);
    else io.stdout.write(`wrote ${result.work.file} only: ${result.skipped ?? ''}\n`);
  }
}
