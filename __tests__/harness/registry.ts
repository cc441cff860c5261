import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from './binaries';
import { freePort } from './ports';
import { startProcess, type ManagedProcess } from './process';
import { baseRegistryConfig, mergeConfig, type ConfigTree } from './registry-config';
import { makeTempDir, removeTempDir } from './tempdir';
import { startTokenServer, type TokenServer } from './token-server';

/** Username and password for the htpasswd and token modes. */
export interface Credentials {
  username: string;
  password: string;
}

/** The credentials every auth-enabled test registry accepts. */
export const TEST_CREDENTIALS: Readonly<Credentials> = { username: 'testuser', password: 'testpassword' };

/** Options for {@link startRegistry}. */
export interface RegistryOptions {
  auth?: 'none' | 'htpasswd' | 'token';
  /** Deep-merged into the generated config, e.g. `{ proxy: { remoteurl } }` for a pull-through cache. */
  extraConfig?: ConfigTree;
  /** State directory (config, storage, log); a temp dir removed by stop() when omitted. */
  dir?: string;
  /** What anonymous token requests get in token mode (default pull). */
  anonymous?: 'pull' | 'none';
}

/** One line of the registry's access log. */
export interface AccessLogEntry {
  method: string;
  /** Path and query as the client sent them. */
  uri: string;
  status: number;
  userAgent: string;
}

/** A running CNCF Distribution registry; see {@link startRegistry}. */
export interface Registry {
  /** `127.0.0.1:PORT`, the registry part of an image reference. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly logPath: string;
  readonly credentials?: Credentials;
  readonly token?: { realm: string; service: string; issuer: string; server: TokenServer };
  /** Request lines seen so far, `"GET /v2/repo/manifests/v1"`, oldest first. */
  accessLog(): Promise<string[]>;
  /** Parsed access log entries, oldest first. */
  accessEntries(): Promise<AccessLogEntry[]>;
  /** Stops the registry (and its token server); removes the dir if the harness made it. */
  stop(): Promise<void>;
  /** Stops and starts the registry on the same port with the same storage. */
  restart(): Promise<void>;
}

// Apache combined format, as Distribution's gorilla/handlers access logger writes it.
const ACCESS_LINE = /^\S+ \S+ \S+ \[[^\]]+\] "(\S+) (\S+) HTTP\/[\d.]+" (\d{3}) \S+ "[^"]*" "([^"]*)"/;

async function authConfig(opts: RegistryOptions, dir: string): Promise<{ auth?: ConfigTree; token?: TokenServer }> {
  if (opts.auth === 'htpasswd') {
    const { stdout } = await promisify(execFile)(findBinary('htpasswd'), [
      '-Bbn', TEST_CREDENTIALS.username, TEST_CREDENTIALS.password,
    ]);
    const file = path.join(dir, 'htpasswd');
    fs.writeFileSync(file, stdout.trim() + '\n');
    // Distribution 2.8 accepts bcrypt entries only, hence htpasswd -B.
    return { auth: { htpasswd: { realm: 'lifec-test-registry', path: file } } };
  }
  if (opts.auth === 'token') {
    const server = await startTokenServer({
      dir,
      users: { [TEST_CREDENTIALS.username]: TEST_CREDENTIALS.password },
      anonymous: opts.anonymous,
    });
    const token = { realm: server.realm, service: server.service, issuer: server.issuer, rootcertbundle: server.certPath };
    return { auth: { token }, token: server };
  }
  return {};
}

/** The registry reads REGISTRY_* variables as config overrides; keep the caller's out. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('REGISTRY_')));
}

async function launch(binary: string, configPath: string, logPath: string, port: number): Promise<ManagedProcess> {
  const child = startProcess({ name: 'docker-registry', command: binary, args: ['serve', configPath], logPath, env: cleanEnv() });
  try {
    await child.waitForPort(port, 30_000);
    return child;
  } catch (err) {
    await child.stop();
    throw err;
  }
}

/**
 * Starts CNCF Distribution (`docker-registry serve`) on an ephemeral 127.0.0.1
 * port with filesystem storage and deletes enabled. Auth modes: none, htpasswd
 * ({@link TEST_CREDENTIALS}, bcrypt) or token (an in-process token server).
 */
export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const binary = findBinary('docker-registry');
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? makeTempDir('registry');
  fs.mkdirSync(path.join(dir, 'storage'), { recursive: true });
  const logPath = path.join(dir, 'registry.log');
  const configPath = path.join(dir, 'config.yml');
  const { auth, token } = await authConfig(opts, dir);
  const secret = crypto.randomBytes(16).toString('hex');

  let port = 0;
  let child: ManagedProcess | undefined;
  // freePort() can race with another process grabbing the port: retry a few times.
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort();
    const config = mergeConfig(baseRegistryConfig({ port, storageDir: path.join(dir, 'storage'), secret, auth }), opts.extraConfig ?? {});
    fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
    try {
      child = await launch(binary, configPath, logPath, port);
    } catch (err) {
      if (attempt >= 3) {
        await token?.stop();
        throw err;
      }
    }
  }
  let current: ManagedProcess = child;

  const accessEntries = async (): Promise<AccessLogEntry[]> => {
    const text = await fs.promises.readFile(logPath, 'utf8');
    return text.split('\n').flatMap((line) => {
      const m = ACCESS_LINE.exec(line);
      return m ? [{ method: m[1] ?? '', uri: m[2] ?? '', status: Number(m[3]), userAgent: m[4] ?? '' }] : [];
    });
  };

  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    logPath,
    credentials: opts.auth === 'htpasswd' || opts.auth === 'token' ? { ...TEST_CREDENTIALS } : undefined,
    token: token && { realm: token.realm, service: token.service, issuer: token.issuer, server: token },
    accessEntries,
    accessLog: async () => (await accessEntries()).map((e) => `${e.method} ${e.uri}`),
    async stop() {
      await current.stop();
      await token?.stop();
      if (ownDir) removeTempDir(dir);
    },
    async restart() {
      await current.stop();
      current = await launch(binary, configPath, logPath, port);
    },
  };
}
