import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Credentials } from './credentials';
import type { Clock } from '../clock';
import { parseCredentialFile } from './credential-file';
import { registryDir, type CredentialSource } from './credential-source';
import { defaultDockerConfigPath, dockerAuthEntry, dockerHelperFor, runCredentialHelper, type DockerConfig } from './docker-config';
import { jwtExpiry } from './jwt';
import { LoginState } from './login-state';

/** The outcome of looking up a registry's credentials. */
export type CredentialLookup =
  | { status: 'found'; credentials: Credentials }
  /** The source has nothing for this registry: pull anonymously. */
  | { status: 'none' }
  /** Credentials were configured but cannot be used now; `reason` names the cause and the remedy. */
  | { status: 'unavailable'; reason: string };

export interface CredentialStoreOptions {
  home: string;
  clock: Clock;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

/** How long a credential helper's answer is reused (each call spawns a process). */
const HELPER_TTL_MS = 60_000;

/**
 * Credentials per registry host, from the sources `.login` names. Files are
 * re-read when they change (a `.login-acr` renewal needs no restart), and a
 * lookup only ever returns credentials for exactly the host asked about.
 */
export class CredentialStore {
  readonly logins: LoginState;
  private readonly env: NodeJS.ProcessEnv;
  private readonly files = new Map<string, { stamp: string; text: string }>();
  private readonly helpers = new Map<string, { at: number; credentials?: Credentials }>();

  constructor(private readonly options: CredentialStoreOptions) {
    this.env = options.env ?? process.env;
    this.logins = new LoginState(options.clock);
  }

  /** Where a credential file of `source` lives for `host`. */
  filePath(file: string, host: string): string {
    return path.isAbsolute(file) ? file : path.join(registryDir(this.options.home, host), file);
  }

  async lookup(source: CredentialSource, host: string): Promise<CredentialLookup> {
    if (source.kind === 'env') return this.fromEnv(source.usernameVar, source.passwordVar, host);
    if (source.kind === 'docker') return this.fromDocker(source.file ?? defaultDockerConfigPath(this.env), host);
    const first = await this.fromFile(this.filePath(source.file, host), host);
    if (first.status !== 'unavailable' || !(await this.logins.renew(host))) return first;
    return this.fromFile(this.filePath(source.file, host), host);
  }

  private fromEnv(usernameVar: string, passwordVar: string, host: string): CredentialLookup {
    const username = this.env[usernameVar];
    const password = this.env[passwordVar];
    if (!username || !password) {
      return { status: 'unavailable', reason: `environment variables ${usernameVar} and ${passwordVar} must both be set for ${host}` };
    }
    return { status: 'found', credentials: { registry: host, username, password } };
  }

  private async fromFile(file: string, host: string): Promise<CredentialLookup> {
    let text: string;
    try {
      text = await this.read(file, true);
    } catch (err) {
      return { status: 'unavailable', reason: this.withLastFailure(host, describeReadError(err, file, host)) };
    }
    let credentials: Credentials | undefined;
    try {
      credentials = parseCredentialFile(text, host);
    } catch (err) {
      return { status: 'unavailable', reason: `credential file ${file} is unusable: ${(err as Error).message}` };
    }
    if (!credentials) return { status: 'none' };
    const expiry = credentials.refreshToken !== undefined ? jwtExpiry(credentials.refreshToken) : undefined;
    if (expiry !== undefined && expiry <= this.options.clock.now()) {
      return { status: 'unavailable', reason: this.withLastFailure(host, `the refresh token in ${file} expired at ${new Date(expiry).toISOString()}: run .login-acr (or "lifec-mirror login ${host}") again`) };
    }
    return { status: 'found', credentials };
  }

  private async fromDocker(file: string, host: string): Promise<CredentialLookup> {
    let text: string;
    try {
      text = await this.read(file, false);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'none' };
      return { status: 'unavailable', reason: `Docker config ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
    }
    let config: DockerConfig;
    try {
      config = JSON.parse(text) as DockerConfig;
    } catch {
      // JSON.parse quotes the text around the fault (Node 20: `... "auth": "YWxp"... is not valid JSON`): a fixed message keeps base64 auths out of 503 bodies and logs.
      return { status: 'unavailable', reason: `Docker config ${file} is not valid JSON` };
    }
    try {
      const entry = dockerAuthEntry(config, host);
      if (entry) return { status: 'found', credentials: entry };
      const helper = dockerHelperFor(config, host);
      if (!helper) return { status: 'none' };
      const credentials = await this.fromHelper(helper, host);
      return credentials ? { status: 'found', credentials } : { status: 'none' };
    } catch (err) {
      return { status: 'unavailable', reason: `Docker credentials for ${host} in ${file}: ${(err as Error).message}` };
    }
  }

  private async fromHelper(helper: string, host: string): Promise<Credentials | undefined> {
    const key = `${helper}\n${host}`;
    const cached = this.helpers.get(key);
    if (cached && this.options.clock.now() - cached.at < HELPER_TTL_MS) return cached.credentials;
    const credentials = await runCredentialHelper(helper, host, this.env);
    this.helpers.set(key, { at: this.options.clock.now(), credentials });
    return credentials;
  }

  /** The file's text, re-read only when it changed; a secret file must not be readable by others. */
  private async read(file: string, secret: boolean): Promise<string> {
    const stat = await fs.stat(file);
    if (secret && (stat.mode & 0o077) !== 0) {
      throw Object.assign(new Error(`mode ${(stat.mode & 0o777).toString(8)}`), { code: 'EMODE' });
    }
    const stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    const cached = this.files.get(file);
    if (cached?.stamp === stamp) return cached.text;
    const text = await fs.readFile(file, 'utf8');
    this.files.set(file, { stamp, text });
    return text;
  }

  private withLastFailure(host: string, reason: string): string {
    const failure = this.logins.lastFailure(host);
    return failure ? `${reason} (last login attempt failed: ${failure})` : reason;
  }
}

function describeReadError(err: unknown, file: string, host: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `no credential file ${file}: run .login-acr, or "lifec-mirror login ${host}"`;
  if (code === 'EMODE') return `credential file ${file} is readable by other users (${(err as Error).message}): chmod 600 ${file}`;
  return `credential file ${file} cannot be read (${code ?? 'error'})`;
}
