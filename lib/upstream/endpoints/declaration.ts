import type { Line } from '../../runmd/ast';
import { RunmdError } from '../../runmd/errors';
import { isValidName } from '../../oci/reference';

/** TLS settings of one upstream connection: files named by `.ca` and `.client_cert`. */
export interface TlsFiles {
  /** A private CA trusted for this upstream only (`: .ca <file>`). */
  ca?: { file: string; line: Line };
  /** A client certificate and key for mutual TLS (`: .client_cert <cert> <key>`). */
  clientCert?: { cert: string; key: string; line: Line };
}

/** The PEM bytes named by `.ca` and `.client_cert`, read once at start. */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** An `: .endpoint <url>` line: a place the registry's content is fetched from before the registry itself. */
export interface EndpointDeclaration {
  /** `host[:port][/prefix]`: the endpoint's name in logs, metrics and `Lifec-Endpoint`. */
  name: string;
  /** `http(s)://host[:port]`. */
  origin: string;
  /**
   * A Harbor-style proxy project: `docker.io/library/redis` is asked for as
   * `/v2/<prefix>/library/redis/…`. Without one the repository is unchanged
   * and the request carries `?ns=<registry>`.
   */
  prefix?: string;
  tls: TlsFiles;
  line: Line;
}

/** What the lines under one `.mirror` say about where its content comes from. */
export interface FetchOrder {
  endpoints: EndpointDeclaration[];
  /** False with `: .origin off`: the registry itself is never asked. */
  origin: boolean;
  /** TLS for the registry itself (`.ca`/`.client_cert` before the first `.endpoint`). */
  originTls: TlsFiles;
}

/**
 * Reads `.endpoint`, `.origin`, `.ca` and `.client_cert` under a `.mirror`.
 * Endpoints are tried in the order written, the registry last. A `.ca` or
 * `.client_cert` refines the `.endpoint` above it, or the registry when no
 * `.endpoint` came before it (order decides, as for `.host` and `.https`).
 *
 * @throws RunmdError for a bad URL, a refinement given twice, or `.origin off` without an endpoint.
 */
export function readFetchOrder(properties: readonly Line[]): FetchOrder {
  const order: FetchOrder = { endpoints: [], origin: true, originTls: {} };
  let originLine: Line | undefined;
  for (const line of properties) {
    if (line.key !== undefined) continue;
    const tls = order.endpoints.at(-1)?.tls ?? order.originTls;
    if (line.name === 'endpoint') order.endpoints.push(parseEndpoint(line, order.endpoints));
    else if (line.name === 'origin') (originLine = line), (order.origin = parseOrigin(line));
    else if (line.name === 'ca') setOnce(tls, 'ca', line, { file: oneFile(line, '.ca takes one CA file (PEM)'), line });
    else if (line.name === 'client_cert') setOnce(tls, 'clientCert', line, clientCert(line));
  }
  if (!order.origin && order.endpoints.length === 0) {
    throw new RunmdError(originLine!.pos, '.origin off leaves nothing to fetch from: add an ": .endpoint <url>" line');
  }
  return order;
}

function parseEndpoint(line: Line, before: readonly EndpointDeclaration[]): EndpointDeclaration {
  const text = line.input.trim();
  if (text === '') throw new RunmdError(line.inputPos, '.endpoint needs a URL (e.g. ".endpoint https://tier.example:5000")');
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw new RunmdError(line.inputPos, `"${text}" is not a URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
    throw new RunmdError(line.inputPos, `"${text}" must be an http(s) URL without credentials, query or fragment (credentials are stored with "lifec-mirror login")`);
  }
  const path = url.pathname.replace(/^\/+|\/+$/g, '');
  if (path !== '' && !isValidName(path)) {
    throw new RunmdError(line.inputPos, `the path "${path}" of ${text} is not a repository prefix (lowercase name components separated by "/")`);
  }
  const name = `${url.host}${path ? `/${path}` : ''}`;
  if (before.some((e) => e.name === name)) throw new RunmdError(line.pos, `endpoint ${name} is listed twice`);
  return { name, origin: url.origin, prefix: path || undefined, tls: {}, line };
}

function parseOrigin(line: Line): boolean {
  if (line.input === 'off') return false;
  if (line.input === 'on' || line.input === '') return true;
  throw new RunmdError(line.inputPos, `.origin takes "on" or "off", found "${line.input}"`);
}

function oneFile(line: Line, usage: string): string {
  const words = line.input.split(/\s+/).filter((w) => w !== '');
  if (words.length !== 1) throw new RunmdError(line.inputPos, usage);
  return words[0]!;
}

function clientCert(line: Line): NonNullable<TlsFiles['clientCert']> {
  const words = line.input.split(/\s+/).filter((w) => w !== '');
  if (words.length !== 2) throw new RunmdError(line.inputPos, '.client_cert takes a certificate file and a key file (PEM)');
  return { cert: words[0]!, key: words[1]!, line };
}

function setOnce<K extends keyof TlsFiles>(tls: TlsFiles, key: K, line: Line, value: NonNullable<TlsFiles[K]>): void {
  if (tls[key]) throw new RunmdError(line.pos, `.${line.name} is given twice for the same upstream`);
  tls[key] = value;
}
