import { Option, type Command } from 'commander';
import { loadClientContext, type ClientContext, type ConfigureOptions } from './client-context';
import { configureContainerd } from './configure-containerd';
import { configureDocker, configureK3s, configurePodman } from './configure-files';
import type { RegisterCommand } from './program';

/** `configure containerd | docker | podman | k3s`: points a client at the mirror. */
export const registerConfigure: RegisterCommand = (program, env) => {
  const configure = program.command('configure').description('point a client (containerd, docker, podman, k3s) at the mirror for every declared registry');
  const client = (name: string, description: string): Command =>
    configure
      .command(name)
      .description(description)
      .option('-c, --config <file>', 'runmd config file (default: ./mirror.runmd, else the built-in default)')
      .option('--mirror-url <url>', 'where the client reaches the mirror (default: the .proxy address; https with .tls)')
      .option('--dry-run', 'print what would be written, change nothing');
  const run = <T extends ConfigureOptions>(action: (options: T, context: ClientContext) => Promise<void>) => async (options: T) =>
    action(options, loadClientContext(options, env.io, Date.now()));

  client('containerd', "write hosts.toml for every declared registry into containerd's hosts directory")
    .option('--hosts-dir <dir>', "containerd's hosts directory (default: .hosts_dir, else /etc/containerd/certs.d)")
    .option('--default', 'also write _default/hosts.toml, for registries without a hosts.toml of their own')
    .action(run(configureContainerd));
  client('docker', "merge the mirror into Docker Engine's registry-mirrors (Docker Hub pulls)")
    .option('--file <daemon.json>', "Docker's daemon configuration", '/etc/docker/daemon.json')
    .addOption(
      new Option('--form <form>', 'plain: http://host:port (every engine); path: http://host:port/docker.io (Engine 25 and later); auto: ask dockerd --version')
        .choices(['auto', 'plain', 'path'])
        .default('auto'),
    )
    .action(run(configureDocker));
  client('podman', 'write a registries.conf.d drop-in for podman, CRI-O, buildah and skopeo')
    .option('--file <file>', 'the drop-in to write', '/etc/containers/registries.conf.d/50-lifec-mirror.conf')
    .action(run(configurePodman));
  client('k3s', 'merge the mirror into k3s/rke2 registries.yaml')
    .option('--file <file>', 'registries.yaml (rke2: /etc/rancher/rke2/registries.yaml)', '/etc/rancher/k3s/registries.yaml')
    .option('--default', 'also add a "*" entry, for registries without an entry of their own')
    .action(run(configureK3s));
};
