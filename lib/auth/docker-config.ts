import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { Credentials } from './credentials';

/** The parts of Docker's `config.json` the mirror reads. */
export interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string } | undefined>;
  credHelpers?: Record<string, string | undefined>;
  credsStore?: string;
}

/** Keys Docker itself uses for Docker Hub (the legacy index URL first). */
const DOCKER_HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
const HELPER_TIMEOUT_MS = 10_000;

/** Where `docker login` keeps its config: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
export function defaultDockerConfigPath(env: NodeJS.ProcessEnv): string {
  return path.join(env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker'), 'config.json');
}

/**
 * The `auths` entry for exactly `host`. Docker writes keys as hosts or as
 * URLs (`https://host`, `https://index.docker.io/v1/`); only the host part is
 * compared, and it must be equal: credentials never go to another registry.
 */
export function dockerAuthEntry(config: DockerConfig, host: string): Credentials | undefined {
  const wanted = host === 'docker.io' ? DOCKER_HUB_KEYS.map(hostOf) : [host];
  const match = Object.entries(config.auths ?? {}).find(([key]) => wanted.includes(hostOf(key)));
  const entry = match?.[1];
  if (!entry) return undefined;
  let { username, password } = entry;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new Error(`the "auth" value for ${host} is not base64 of "username:password"`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (entry.identitytoken) return { registry: host, username, refreshToken: entry.identitytoken };
  if (username === undefined && password === undefined) return undefined;
  return { registry: host, username, password };
}

/** The credential helper for `host`: `credHelpers[host]`, else `credsStore`. */
export function dockerHelperFor(config: DockerConfig, host: string): string | undefined {
  const keys = host === 'docker.io' ? DOCKER_HUB_KEYS : [host];
  for (const key of keys) {
    const helper = config.credHelpers?.[key];
    if (helper) return helper;
  }
  return config.credsStore || undefined;
}

/**
 * Asks `docker-credential-<helper> get` for `host` (docker-credential-helpers
 * protocol: the server URL on stdin, `{ServerURL, Username, Secret}` on
 * stdout; the username `<token>` marks an identity token).
 *
 * @returns undefined when the helper has no credentials for the host.
 * @throws Error when the helper is missing, fails otherwise or prints garbage.
 */
export function runCredentialHelper(helper: string, host: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) return Promise.reject(new Error(`"${helper}" is not a credential helper name`));
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = execFile(program, ['get'], { env, timeout: HELPER_TIMEOUT_MS, maxBuffer: 1024 * 1024 }, (err, stdout) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        // The helper protocol reports "credentials not found" on stdout with a non-zero exit.
        if (!missing && /credentials not found/i.test(stdout)) return resolve(undefined);
        return reject(new Error(missing ? `${program} is not on PATH` : `${program} get failed (exit ${String(err.code ?? err.signal)})`));
      }
      try {
        const answer = JSON.parse(stdout) as { Username?: unknown; Secret?: unknown };
        if (typeof answer.Secret !== 'string' || typeof answer.Username !== 'string') throw new Error('no Username/Secret');
        if (answer.Username === '<token>') return resolve({ registry: host, refreshToken: answer.Secret });
        resolve({ registry: host, username: answer.Username, password: answer.Secret });
      } catch {
        reject(new Error(`${program} get printed something that is not a credential`));
      }
    });
    // A helper may exit without reading its stdin (it knows the host another way, or failed at once);
    // the late write then fails with EPIPE. Its exit status and output decide the answer, not the write.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(host);
  });
}

function hostOf(key: string): string {
  const withoutScheme = key.replace(/^[a-z]+:\/\//i, '');
  return (withoutScheme.split('/', 1)[0] ?? '').toLowerCase();
}
