import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from '../harness';

const run = promisify(execFile);

/** podman with all of its state and configuration in one directory: it never reads /etc/containers or the machine's image store. */
export interface Podman {
  run(args: string[]): Promise<string>;
  /** The `--signature-policy` flag pull and push need (accept anything: the test images are unsigned). */
  readonly policy: string[];
}

export function isolatedPodman(dir: string): Podman {
  for (const sub of ['root', 'run', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const file = (name: string, text: string): string => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const env = {
    ...process.env,
    CONTAINERS_REGISTRIES_CONF: file('registries.conf', ''),
    CONTAINERS_CONF: file('containers.conf', ''),
    CONTAINERS_STORAGE_CONF: file('storage.conf', `[storage]\ndriver = "vfs"\nrunroot = "${dir}/run"\ngraphroot = "${dir}/root"\n`),
  };
  const policy = file('policy.json', '{"default":[{"type":"insecureAcceptAnything"}]}');
  const global = ['--root', `${dir}/root`, '--runroot', `${dir}/run`, '--storage-driver', 'vfs', '--tmpdir', `${dir}/tmp`, '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  return {
    policy: ['--signature-policy', policy],
    async run(args) {
      const { stdout } = await run(findBinary('podman'), [...global, ...args], { env, timeout: 300_000 });
      return stdout.trim();
    },
  };
}
