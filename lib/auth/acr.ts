import { execFile } from 'node:child_process';
import { jwtClaims } from './jwt';
import { loadAxios } from './lazy-axios';

/** Where Azure's instance metadata service answers on every VM and AKS node. */
export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';
/** The AAD audience ACR's `/oauth2/exchange` accepts (Azure/acr docs/AAD-OAuth.md). */
const ARM_RESOURCE = 'https://management.azure.com/';
const AZ_TIMEOUT_MS = 120_000;
const HTTP_TIMEOUT_MS = 30_000;

/** A failed attempt to get an ACR refresh token: `message` is the cause, `remedy` what to do. Neither holds a secret. */
export class AcrLoginError extends Error {
  override name = 'AcrLoginError';
  constructor(
    message: string,
    readonly remedy: string,
  ) {
    super(message);
  }
}

/**
 * `az acr login --name <registry> --expose-token --output tsv --query accessToken`:
 * the Azure CLI's signed-in identity, exchanged by az itself for an ACR refresh token.
 */
export function refreshTokenFromAzCli(registry: string, env: NodeJS.ProcessEnv): Promise<string> {
  const args = ['acr', 'login', '--name', registry, '--expose-token', '--output', 'tsv', '--query', 'accessToken'];
  return new Promise((resolve, reject) => {
    execFile('az', args, { env, timeout: AZ_TIMEOUT_MS, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          return reject(new AcrLoginError('the Azure CLI (az) is not on PATH', 'install the Azure CLI and run "az login", or use ".source msi" on an Azure VM or AKS node'));
        }
        const detail = firstLine(stderr);
        return reject(new AcrLoginError(`"az acr login" failed (exit ${String(err.code ?? err.signal)})${detail ? `: ${detail}` : ''}`, 'run "az login" as the user that runs the mirror and check it may pull from the registry'));
      }
      const token = stdout.trim();
      if (!looksLikeJwt(token)) return reject(new AcrLoginError('"az acr login --expose-token" printed something that is not an ACR refresh token', 'update the Azure CLI (2.0.80 or later prints the token with --expose-token)'));
      resolve(token);
    });
  });
}

export interface ManagedIdentityOptions {
  /** The registry's base URL (`https://example.azurecr.io`) and host (the token `service`). */
  origin: string;
  host: string;
  /** IMDS base URL, or a full token URL; default {@link DEFAULT_IMDS_ENDPOINT}. */
  endpoint?: string;
  /** A user-assigned identity's client id. */
  clientId?: string;
  /** AAD tenant; default: the `tid` claim of the AAD token. */
  tenant?: string;
  signal?: AbortSignal;
}

/**
 * The node's managed identity: an AAD token from the instance metadata
 * endpoint, exchanged at the registry's `/oauth2/exchange` for an ACR refresh token.
 */
export async function refreshTokenFromManagedIdentity(options: ManagedIdentityOptions): Promise<string> {
  const aad = await aadTokenFromImds(options);
  const tenant = options.tenant ?? stringClaim(aad, 'tid');
  const form = new URLSearchParams({ grant_type: 'access_token', service: options.host, access_token: aad });
  if (tenant) form.set('tenant', tenant);
  const answer = await post(`${options.origin}/oauth2/exchange`, form, options.signal, `the registry's token exchange ${options.origin}/oauth2/exchange`);
  const refreshToken = fieldOf(answer, 'refresh_token');
  if (!refreshToken) throw new AcrLoginError(`${options.origin}/oauth2/exchange answered without a refresh_token`, 'check that the identity has the AcrPull role on the registry');
  return refreshToken;
}

async function aadTokenFromImds(options: ManagedIdentityOptions): Promise<string> {
  const base = new URL(options.endpoint ?? DEFAULT_IMDS_ENDPOINT);
  const url = base.pathname === '/' ? new URL('/metadata/identity/oauth2/token', base) : base;
  url.searchParams.set('api-version', '2018-02-01');
  url.searchParams.set('resource', ARM_RESOURCE);
  if (options.clientId) url.searchParams.set('client_id', options.clientId);
  const what = `the instance metadata endpoint ${url.origin}`;
  const remedy = 'run on an Azure VM or AKS node with a managed identity (set ".client_id" for a user-assigned one), or use ".source az"';
  const axios = await loadAxios();
  let response;
  try {
    response = await axios.get<string>(url.href, { headers: { Metadata: 'true' }, timeout: HTTP_TIMEOUT_MS, signal: options.signal, responseType: 'text', transformResponse: (d: string) => d, validateStatus: () => true, maxRedirects: 0, proxy: false });
  } catch (err) {
    throw new AcrLoginError(`${what} cannot be reached (${(err as { code?: string }).code ?? 'network error'})`, remedy);
  }
  if (response.status !== 200) throw new AcrLoginError(`${what} answered ${response.status}`, remedy);
  const token = fieldOf(parseJson(response.data), 'access_token');
  if (!token) throw new AcrLoginError(`${what} answered without an access_token`, remedy);
  return token;
}

async function post(url: string, form: URLSearchParams, signal: AbortSignal | undefined, what: string): Promise<unknown> {
  const remedy = 'check that the registry name is right and the identity has the AcrPull role on it';
  const axios = await loadAxios();
  let response;
  try {
    response = await axios.post<string>(url, form.toString(), {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, timeout: HTTP_TIMEOUT_MS, signal, responseType: 'text',
      transformResponse: (d: string) => d, validateStatus: () => true, proxy: false,
      // A 307/308 would re-send the AAD token to wherever it points: never follow, the status is an error.
      maxRedirects: 0,
    });
  } catch (err) {
    throw new AcrLoginError(`${what} cannot be reached (${(err as { code?: string }).code ?? 'network error'})`, remedy);
  }
  if (response.status !== 200) throw new AcrLoginError(`${what} answered ${response.status}`, remedy);
  return parseJson(response.data);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function fieldOf(body: unknown, name: string): string | undefined {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringClaim(token: string, name: string): string | undefined {
  const value = jwtClaims(token)?.[name];
  return typeof value === 'string' ? value : undefined;
}

function looksLikeJwt(text: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text) && jwtClaims(text) !== undefined;
}

/** The first line of az's error output, without anything shaped like a token. */
function firstLine(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
  return line.replace(/eyJ[A-Za-z0-9._-]+/g, '[redacted]').slice(0, 200);
}
