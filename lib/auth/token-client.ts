import type { AxiosResponse } from 'axios';
import type { Credentials } from './credentials';
import { loadAxios } from './lazy-axios';
import type { IssuedToken } from './token-cache';

/** The username ACR pairs with a refresh token (Azure/acr docs/AAD-OAuth.md). */
export const REFRESH_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';
/** containerd sends `containerd-client`; the token spec only asks for something stable. */
const CLIENT_ID = 'lifec-mirror';
/** Statuses after which containerd retries the OAuth2 POST as a GET (core/remotes/docker/auth/fetch.go). */
const POST_FALLBACK = new Set([400, 401, 404, 405]);
const DEFAULT_TIMEOUT_MS = 30_000;

/** Why a token could not be had. The message names the endpoint and status, never a secret. */
export class TokenError extends Error {
  override name = 'TokenError';
  constructor(
    message: string,
    /** The token endpoint's status, when it answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface TokenRequest {
  /** The challenge's `realm`: where tokens come from. */
  realm: string;
  service: string;
  scopes: readonly string[];
  credentials?: Credentials;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Gets an access token from a token endpoint the way containerd does
 * (distribution docs/spec/auth/token.md and oauth.md): the OAuth2 POST with a
 * refresh token or a password, falling back to the GET flow with Basic auth
 * when the endpoint does not speak OAuth2; an anonymous GET without credentials.
 *
 * @throws TokenError when the endpoint is unreachable, refuses, or answers without a token.
 */
export async function fetchToken(request: TokenRequest): Promise<IssuedToken> {
  const secret = request.credentials?.refreshToken ?? request.credentials?.password;
  if (secret === undefined) return readToken(request, await send(request, 'GET'));
  const posted = await send(request, 'POST', oauthForm(request, secret));
  if (!POST_FALLBACK.has(posted.status)) return readToken(request, posted);
  const username = request.credentials?.refreshToken !== undefined ? REFRESH_TOKEN_USERNAME : (request.credentials?.username ?? '');
  const basic = Buffer.from(`${username}:${secret}`).toString('base64');
  return readToken(request, await send(request, 'GET', undefined, `Basic ${basic}`));
}

function oauthForm(request: TokenRequest, secret: string): URLSearchParams {
  const form = new URLSearchParams({ service: request.service, scope: request.scopes.join(' '), client_id: CLIENT_ID });
  if (request.credentials?.refreshToken !== undefined) {
    form.set('grant_type', 'refresh_token');
    form.set('refresh_token', secret);
  } else {
    form.set('grant_type', 'password');
    form.set('username', request.credentials?.username ?? '');
    form.set('password', secret);
  }
  return form;
}

async function send(request: TokenRequest, method: 'GET' | 'POST', form?: URLSearchParams, authorization?: string): Promise<AxiosResponse<string>> {
  const url = new URL(request.realm);
  if (method === 'GET') {
    if (request.service) url.searchParams.set('service', request.service);
    for (const scope of request.scopes) url.searchParams.append('scope', scope);
  }
  const axios = await loadAxios();
  try {
    return await axios.request<string>({
      url: url.href,
      method,
      data: form?.toString(),
      headers: {
        ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
        ...(authorization ? { Authorization: authorization } : {}),
      },
      timeout: request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal: request.signal,
      responseType: 'text',
      transformResponse: (data: string) => data,
      validateStatus: () => true,
      // A 307/308 would make axios re-send the form (password, refresh token)
      // to wherever it points, even plain http: a POST is never redirected, the
      // redirect status becomes an error in readToken. A GET carries at most a
      // Basic header, which follow-redirects drops across hosts.
      maxRedirects: method === 'POST' ? 0 : 5,
      proxy: false,
    });
  } catch (err) {
    // axios errors carry the request config (form, headers): keep only the code.
    const code = (err as { code?: string }).code ?? 'network error';
    throw new TokenError(`cannot reach the token endpoint ${where(request)}: ${code}`);
  }
}

function readToken(request: TokenRequest, response: AxiosResponse<string>): IssuedToken {
  if (response.status !== 200) {
    throw new TokenError(`the token endpoint ${where(request)} answered ${response.status}${oauthError(response.data)}`, response.status);
  }
  let body: unknown;
  try {
    body = JSON.parse(response.data);
  } catch {
    throw new TokenError(`the token endpoint ${where(request)} answered something that is not JSON`, response.status);
  }
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  // The token spec names it `token`; OAuth2 endpoints (ACR) name it `access_token`.
  const token = [fields.token, fields.access_token].find((t): t is string => typeof t === 'string' && t !== '');
  if (token === undefined) throw new TokenError(`the token endpoint ${where(request)} answered without a token`, response.status);
  const expiresIn = typeof fields.expires_in === 'number' && fields.expires_in > 0 ? fields.expires_in : undefined;
  return { token, expiresIn };
}

/** The endpoint without its query (which may name scopes) for messages. */
function where(request: TokenRequest): string {
  const url = new URL(request.realm);
  return `${url.origin}${url.pathname}`;
}

/** An OAuth2 `error` code such as `invalid_grant` helps the reader; anything else in the body is not shown. */
function oauthError(data: string): string {
  try {
    const code = (JSON.parse(data) as { error?: unknown }).error;
    return typeof code === 'string' && /^[a-z_]{1,40}$/.test(code) ? ` (${code})` : '';
  } catch {
    return '';
  }
}
