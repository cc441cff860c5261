import { httpRequest, type HttpResponse, type RequestBody } from './http-request';

/** Username and password sent to registries and token servers. */
export interface ClientCredentials {
  username: string;
  password: string;
}

/** Auth-params of a `WWW-Authenticate` challenge; quoted values may contain commas. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) params[(m[1] ?? '').toLowerCase()] = m[2] ?? '';
  return { scheme, params };
}

/**
 * A minimal registry client for tests: answers Basic and Bearer challenges
 * (distribution docs/spec/auth/token.md, GET flow) and reuses the resulting
 * Authorization header per repository.
 */
export class RegistryClient {
  private readonly authByRepo = new Map<string, string>();

  /** `baseUrl` is `http://127.0.0.1:PORT`. */
  constructor(
    readonly baseUrl: string,
    private readonly credentials?: ClientCredentials,
  ) {}

  /**
   * Sends `method path` (path starts with /v2/). On a 401 it authenticates and
   * retries once, except for a file body, which cannot be replayed: authenticate
   * first with a bodiless request to the same repository.
   */
  async request(method: string, path: string, headers: Record<string, string> = {}, body?: RequestBody): Promise<HttpResponse> {
    const repo = repositoryOf(path);
    const send = (): Promise<HttpResponse> => {
      const auth = this.authByRepo.get(repo);
      return httpRequest(method, this.baseUrl + path, auth ? { ...headers, Authorization: auth } : headers, body);
    };
    const first = await send();
    const challenge = first.headers['www-authenticate'];
    if (first.status !== 401 || challenge === undefined || (body !== undefined && !Buffer.isBuffer(body))) return first;
    this.authByRepo.set(repo, await this.answer(challenge));
    return send();
  }

  private async answer(header: string): Promise<string> {
    const { scheme, params } = parseChallenge(header);
    const basic = this.credentials
      ? 'Basic ' + Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')
      : undefined;
    if (scheme === 'basic') {
      if (basic === undefined) throw new Error('registry wants Basic auth but the client has no credentials');
      return basic;
    }
    const realm = new URL(params.realm ?? '');
    if (params.service !== undefined) realm.searchParams.set('service', params.service);
    if (params.scope !== undefined) realm.searchParams.set('scope', params.scope);
    const res = await httpRequest('GET', realm.toString(), basic ? { Authorization: basic } : {});
    if (res.status !== 200) throw new Error(`token request failed: HTTP ${res.status} ${res.body.toString()}`);
    const answer = JSON.parse(res.body.toString()) as { token?: string; access_token?: string };
    return `Bearer ${answer.token ?? answer.access_token ?? ''}`;
  }
}

/** `/v2/<name>/(manifests|blobs|tags)/…` → `<name>`; other paths share one key. */
function repositoryOf(path: string): string {
  const m = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(path);
  return m?.[1] ?? '';
}
