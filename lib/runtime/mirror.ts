import { HostsDirError, installMirrorHosts } from '../containerd/install';
import { RunmdError } from '../runmd/errors';
import { PermanentStepError, type StepRunner } from './step-context';

/** Filesystem answers a retry cannot change; a full disk or an I/O error may clear up. */
const PERMANENT = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP']);

/**
 * `.mirror <registry>`: writes the registry's hosts.toml (from its `.host`,
 * `.server`, … lines) under `<home>/.work/etc/containerd/certs.d` and installs
 * it into containerd's hosts directory, so containerd pulls through the
 * mirror and falls back to the registry. The block control
 * `: skip_hosts_dir_check .true` keeps the file in `.work` only (for trying
 * the mirror with curl on a machine whose containerd must not change).
 */
export const runMirror: StepRunner = async (step, ctx) => {
  const mirror = ctx.config.mirrors.find((m) => m.pos.line === step.pos.line && m.pos.file === step.pos.file);
  if (!mirror) throw new RunmdError(step.pos, `.mirror ${step.input} was not compiled as a registry`);
  const control = ctx.config.events.find((e) => e.steps.includes(step))?.controls.skip_hosts_dir_check;
  const workOnly = control?.type === 'bool' && control.value;
  const result = await installMirrorHosts(mirror, { home: ctx.home, hostsDir: ctx.hostsDir, source: ctx.config.file, now: ctx.clock.now(), workOnly })
    .catch((err: unknown) => {
      if (err instanceof HostsDirError && PERMANENT.has(err.code ?? '')) throw new PermanentStepError(err.message, { cause: err });
      throw err;
    });
  if (!result) {
    ctx.logger.info({ registry: mirror.host }, 'no .host line: containerd is not pointed at the mirror for this registry');
    return;
  }
  const { installed, work } = result;
  if (!installed) {
    ctx.logger.warn({ registry: mirror.host, file: work.file }, `hosts.toml not installed: ${result.skipped ?? ''}`);
    return;
  }
  if (installed.backup) ctx.logger.warn({ backup: installed.backup }, 'kept a copy of a hosts.toml lifec-mirror did not write');
  ctx.logger.info({ registry: mirror.host, file: installed.file, outcome: installed.outcome }, 'containerd hosts.toml installed');
};
