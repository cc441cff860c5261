import { MalformedConfigError } from './config-file';
import type { MirrorEndpoint } from './mirror-endpoint';

/** Docker's daemon configuration file (moby `daemon/config`, `--config-file`). */
export const DEFAULT_DAEMON_JSON = '/etc/docker/daemon.json';

/**
 * How a `registry-mirrors` entry names the mirror. `plain` (`http://localhost:8578`)
 * is what every Docker Engine accepts: it sends `/v2/…` with no registry
 * hint, which the mirror answers from its default registry. `path`
 * (`http://localhost:8578/docker.io`) names Docker Hub explicitly, but only
 * Engine 25 and later accept a path; earlier engines (Debian's 20.10) reject
 * the URL and then refuse to start.
 */
export type DockerMirrorForm = 'plain' | 'path';

/** The `registry-mirrors` entry for the mirror in `form`. */
export function dockerMirrorUrl(endpoint: MirrorEndpoint, form: DockerMirrorForm): string {
  return form === 'path' ? `${endpoint.url}/docker.io` : endpoint.url;
}

/**
 * The form an engine accepts, from `dockerd --version` output
 * (`Docker version 20.10.24+dfsg1, build 5d6db84`): `path` from 25 on,
 * `plain` for older engines and when the version is unknown.
 */
export function dockerFormForVersion(versionOutput: string | undefined): DockerMirrorForm {
  const major = Number(/version v?(\d+)\./i.exec(versionOutput ?? '')?.[1]);
  return major >= 25 ? 'path' : 'plain';
}

/**
 * Puts `mirror` first in `registry-mirrors` (Docker tries mirrors in order,
 * then Docker Hub), drops the mirror's other spellings (`replaces`) so a
 * change of form leaves one entry, and keeps every other key and entry as
 * it was. Returns `previous` itself when nothing changes.
 *
 * @throws MalformedConfigError when `previous` is not a JSON object or its `registry-mirrors` is not a list of strings
 */
export function mergeDaemonJson(file: string, previous: string | undefined, mirror: string, replaces: readonly string[]): string {
  const config = parseDaemonJson(file, previous);
  const current = config['registry-mirrors'];
  if (current !== undefined && !(Array.isArray(current) && current.every((u) => typeof u === 'string'))) {
    throw new MalformedConfigError(file, 'has a "registry-mirrors" that is not a list of URLs');
  }
  const own = new Set([mirror, ...replaces].map(trimSlash));
  const mirrors = [mirror, ...(current ?? []).filter((u) => !own.has(trimSlash(u)))];
  if (previous !== undefined && JSON.stringify(mirrors) === JSON.stringify(current)) return previous;
  return `${JSON.stringify({ ...config, 'registry-mirrors': mirrors }, null, 2)}\n`;
}

function parseDaemonJson(file: string, text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new MalformedConfigError(file, `is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedConfigError(file, 'is not a JSON object');
  return parsed as Record<string, unknown>;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
