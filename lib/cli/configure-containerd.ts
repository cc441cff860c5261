import path from 'node:path';
import { hostsConfigFromMirror, type HostsConfig } from '../containerd/host-config';
import { DEFAULT_HOSTS_DIR, hostsDirectoryName, installHostsToml } from '../containerd/hosts-dir';
import { renderHostsToml } from '../containerd/hosts-toml';
import type { ClientContext, ConfigureOptions } from './client-context';
import { CliError } from './io';

/**
 * `configure containerd`: one hosts.toml per declared registry, as `hosts`
 * writes them: a `.mirror` with `.host` lines keeps them; one without gets
 * the mirror as its only host (pull, resolve), so containerd sends
 * `?ns=<registry>` to the mirror and falls back to the registry itself.
 * `--default` adds `_default`, which has no `server`: for a registry the
 * mirror does not declare, the mirror answers 404 and containerd goes on to
 * that registry.
 */
export async function configureContainerd(options: ConfigureOptions & { hostsDir?: string; default?: boolean }, context: ClientContext): Promise<void> {
  const override = options.hostsDir && path.resolve(context.io.cwd, options.hostsDir);
  const mirrorHost = { url: context.endpoint.url, capabilities: ['pull' as const, 'resolve' as const], headers: [] };
  const files: Array<{ dir: string; config: HostsConfig }> = context.config.mirrors.map((mirror) => {
    const config = hostsConfigFromMirror(mirror);
    if (config.hosts.length === 0) config.hosts.push({ ...mirrorHost });
    return { dir: override ?? config.hostsDir ?? DEFAULT_HOSTS_DIR, config };
  });
  if (options.default) files.push({ dir: override ?? DEFAULT_HOSTS_DIR, config: { registry: '_default', server: '', hosts: [{ ...mirrorHost }] } });
  const { stdout } = context.io;
  for (const { dir, config } of files) {
    const content = renderHostsToml(config, context.source, 'on "lifec-mirror configure containerd"');
    if (context.dryRun) {
      stdout.write(`# ${path.join(dir, hostsDirectoryName(config.registry), 'hosts.toml')}\n${content}\n`);
      continue;
    }
    const result = await installHostsToml(dir, config.registry, content, context.now).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`cannot write hosts.toml for ${config.registry} into ${dir}: ${err.code ?? err.message} (run as root, or choose another directory with --hosts-dir)`, 1, { cause: err });
    });
    if (result.backup) stdout.write(`kept the previous file as ${result.backup}\n`);
    stdout.write(`${result.outcome} ${result.file}\n`);
  }
  if (!context.dryRun) stdout.write(`containerd reads these once its config_path names the directory ("lifec-mirror init --containerd-config" sets it)\n`);
}
