import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { formatCredentialFile } from '../../lib/auth/credential-file';
import { registryDir } from '../../lib/auth/credential-source';
import { writeSecretFile } from '../../lib/auth/secret-file';
import { findBinary, startRegistry, type Registry } from '../harness';
import { startMirrorProcess, type MirrorProcess } from './mirror-process';

const run = promisify(execFile);

/** A mirror that pulls and pushes with the credentials of its upstream; `MIRROR_PORT` is filled in. */
export const pushRunmd = (upstream: string): string => `# A mirror that also takes pushes

\`\`\` start mirror
+ .runtime
: .mirror ${upstream}
: .host localhost:MIRROR_PORT, pull, resolve, push

+ .proxy localhost:MIRROR_PORT
: .manifests   head, get, put, delete
:   .login       access_token
:   .authn       oauth2
:   .push
:   .resolve
: .blobs       head, get, delete
:   .login       access_token
:   .authn       oauth2
:   .push
:   .pull
: .uploads     post, patch, put, get, delete
:   .login       access_token
:   .authn       oauth2
:   .push
: .tags        get
:   .login       access_token
:   .authn       oauth2
:   .pull
\`\`\`
`;

/** A private token-auth Distribution and a mirror process that alone holds its credentials. */
export interface PushSetup {
  dir: string;
  registry: Registry;
  mirror: MirrorProcess;
  stop(): Promise<void>;
}

export async function startPushSetup(prefix: string): Promise<PushSetup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const registry = await startRegistry({ auth: 'token', anonymous: 'none' });
  const { username, password } = registry.credentials!;
  await writeSecretFile(path.join(registryDir(dir, registry.host), 'access_token'), formatCredentialFile(username, password));
  const mirror = await startMirrorProcess(dir, pushRunmd(registry.url));
  return {
    dir,
    registry,
    mirror,
    async stop() {
      await mirror.stop();
      await registry.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `skopeo copy` with the registry's own settings off: plain HTTP, no credentials unless given. */
export async function skopeoCopy(src: string, dest: string, extra: string[] = []): Promise<void> {
  await run(findBinary('skopeo'), ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--preserve-digests', ...extra, src, dest], { timeout: 600_000 });
}

/** The manifest digest `skopeo inspect` reports for `ref` (a docker:// reference). */
export async function skopeoDigest(ref: string, extra: string[] = []): Promise<string> {
  const { stdout } = await run(findBinary('skopeo'), ['inspect', '--raw', '--tls-verify=false', ...extra, ref], { timeout: 120_000, encoding: 'buffer', maxBuffer: 64 << 20 });
  return `sha256:${createHash('sha256').update(stdout).digest('hex')}`;
}
