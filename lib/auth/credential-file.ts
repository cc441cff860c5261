import type { Credentials } from './credentials';
import { dockerAuthEntry, type DockerConfig } from './docker-config';
import { REFRESH_TOKEN_USERNAME } from './token-client';

/** A token, no spaces or line breaks: what `az acr login --expose-token` prints. */
const BARE_TOKEN = /^[A-Za-z0-9._~+/=-]+$/;

/**
 * Reads a credential file for `host`. Three forms are accepted:
 * - a bare token (an ACR refresh token, as `.login-acr` writes it), used with
 *   the username `00000000-0000-0000-0000-000000000000`;
 * - JSON `{"username","password"}` or `{"refresh_token"}` (what `lifec-mirror login` writes);
 * - a Docker `config.json` (`auths`), of which only the entry for `host` is used.
 *
 * @returns undefined when a Docker config has no entry for `host`.
 * @throws Error describing what is wrong with the content (never quoting it).
 */
export function parseCredentialFile(text: string, host: string): Credentials | undefined {
  const content = text.trim();
  if (content === '') throw new Error('it is empty');
  if (!content.startsWith('{')) {
    if (!BARE_TOKEN.test(content)) throw new Error('it is neither a token nor JSON');
    return { registry: host, username: REFRESH_TOKEN_USERNAME, refreshToken: content };
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(content) as Record<string, unknown>;
  } catch {
    throw new Error('it starts like JSON but does not parse');
  }
  if (typeof json.auths === 'object' && json.auths !== null) return dockerAuthEntry(json as DockerConfig, host);
  const refreshToken = stringField(json, 'refresh_token') ?? stringField(json, 'identitytoken');
  if (refreshToken !== undefined) return { registry: host, username: stringField(json, 'username') ?? REFRESH_TOKEN_USERNAME, refreshToken };
  const username = stringField(json, 'username');
  const password = stringField(json, 'password');
  if (username === undefined || password === undefined) throw new Error('the JSON has neither "username" and "password" nor "refresh_token"');
  return { registry: host, username, password };
}

/** The JSON `lifec-mirror login` writes for a username and password. */
export function formatCredentialFile(username: string, password: string): string {
  return `${JSON.stringify({ username, password })}\n`;
}

function stringField(json: Record<string, unknown>, name: string): string | undefined {
  const value = json[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
