import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { dockerFormForVersion, dockerMirrorUrl, mergeDaemonJson, type DockerMirrorForm } from '../clients/docker-daemon';
import { mergeRegistriesYaml } from '../clients/k3s-registries';
import { MalformedConfigError } from '../clients/config-file';
import { registriesBefore } from '../clients/podman-existing';
import { checkDropIn, renderRegistriesConf } from '../clients/podman-registries';
import type { ClientContext, ConfigureOptions } from './client-context';
import { writeClientFile } from './configure-write';
import { CliError } from './io';

const exec = promisify(execFile);

/** `configure docker`: the mirror first in daemon.json's `registry-mirrors`. */
export async function configureDocker(options: ConfigureOptions & { file: string; form: DockerMirrorForm | 'auto' }, context: ClientContext): Promise<void> {
  const declaresHub = context.registries.some((r) => r.host === 'docker.io');
  // The path form names docker.io, so it only helps when the mirror declares it; else the plain form reaches the default registry.
  const form = options.form === 'auto' ? (declaresHub ? dockerFormForVersion(await dockerdVersion(context)) : 'plain') : options.form;
  const { stderr } = context.io;
  if (form === 'path' && !declaresHub) {
    throw new CliError(`${context.source} does not declare docker.io, the only registry Docker Engine sends to a mirror: add ": .mirror docker.io"`);
  }
  const mirror = dockerMirrorUrl(context.endpoint, form);
  const replaces = [dockerMirrorUrl(context.endpoint, form === 'path' ? 'plain' : 'path')];
  const outcome = await writeClientFile(context, {
    file: options.file,
    comments: false,
    render: (previous, file) => mergeDaemonJson(file, previous, mirror, replaces),
    backup: () => true,
  });
  if (form === 'plain' && context.defaultRegistry !== 'docker.io') {
    stderr.write(`note: ${mirror} carries no registry name, so the mirror answers Docker Hub pulls from its default registry, ${context.defaultRegistry}\n`);
  }
  if (outcome === 'written') context.io.stdout.write('restart dockerd to use it (systemctl restart docker)\n');
}

/** `dockerd --version`, or undefined when there is no dockerd on the PATH. */
async function dockerdVersion(context: ClientContext): Promise<string | undefined> {
  try {
    return (await exec('dockerd', ['--version'], { env: context.io.env, timeout: 10_000 })).stdout;
  } catch {
    return undefined;
  }
}

/** `configure podman`: a registries.conf.d drop-in, read by podman, CRI-O, buildah and skopeo. */
export async function configurePodman(options: ConfigureOptions & { file: string }, context: ClientContext): Promise<void> {
  const file = path.resolve(context.io.cwd, options.file);
  const before = await registriesBefore(file).catch((err: unknown) => {
    throw err instanceof MalformedConfigError ? new CliError(err.message, 1, { cause: err }) : err;
  });
  const content = renderRegistriesConf(context.registries, context.endpoint, context.source, before);
  await writeClientFile(context, {
    file,
    comments: true,
    render: (previous) => {
      if (previous !== undefined) checkDropIn(file, previous);
      return content;
    },
    backup: (previous, file) => !checkDropIn(file, previous),
  });
  if (context.endpoint.plainHttp && !context.endpoint.loopback) {
    context.io.stderr.write(`note: insecure = true lets pulls go to ${context.endpoint.url} over plain HTTP, across the network\n`);
  }
}

/** `configure k3s`: the mirror first in each registry's `endpoint` list of registries.yaml. */
export async function configureK3s(options: ConfigureOptions & { file: string; default?: boolean }, context: ClientContext): Promise<void> {
  const entries = context.registries.map((r) => ({ registry: r.host, endpoint: context.endpoint.url }));
  if (options.default) entries.push({ registry: '*', endpoint: context.endpoint.url });
  const outcome = await writeClientFile(context, {
    file: options.file,
    comments: true,
    render: (previous, file) => mergeRegistriesYaml(file, previous, entries),
    backup: () => true,
  });
  if (outcome === 'written') context.io.stdout.write('restart k3s (or rke2-server / rke2-agent) to use it\n');
}
