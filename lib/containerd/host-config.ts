import type { Line } from '../runmd/ast';
import type { MirrorSpec } from '../runmd/config';
import { RunmdError } from '../runmd/errors';

/** The capabilities containerd knows for a host (containerd docs/hosts.md, "capabilities" field). */
export const HOST_CAPABILITIES = ['pull', 'resolve', 'push'] as const;
export type HostCapability = (typeof HOST_CAPABILITIES)[number];

/** One `[host."<url>"]` entry of hosts.toml: a mirror containerd tries before `server`. */
export interface HostEntry {
  url: string;
  /** In containerd's order (pull, resolve, push), whatever order the runmd wrote them in. */
  capabilities: HostCapability[];
  /** CA file for an https host (`ca`). */
  ca?: string;
  skipVerify?: boolean;
  /** Extra request headers; a name given twice sends both values. */
  headers: Array<[string, string[]]>;
}

/** What hosts.toml says for one registry. */
export interface HostsConfig {
  /** The registry as containerd names it (`example.azurecr.io`, `127.0.0.1:5000`). */
  registry: string;
  /** The fallback after every host: the registry itself unless `.server` says otherwise. */
  server: string;
  hosts: HostEntry[];
  /** containerd's hosts directory, when `.hosts_dir` sets it. */
  hostsDir?: string;
}

/**
 * Reads the containerd properties of a `.mirror` step. `.host` starts a host
 * entry; `.https`, `.skip_verify` and `.header` refine the `.host` above them
 * (order, not indentation, decides, as everywhere in runmd).
 *
 * @throws RunmdError for a bad capability, URL or a refinement without a `.host`.
 */
export function hostsConfigFromMirror(mirror: Pick<MirrorSpec, 'host' | 'origin' | 'properties'>): HostsConfig {
  const config: HostsConfig = { registry: mirror.host, server: mirror.origin, hosts: [] };
  // Hosts written with an explicit http:// cannot be switched to TLS by `.https`.
  const plainHttp = new Set<HostEntry>();
  for (const line of mirror.properties) {
    if (line.key !== undefined) continue;
    const current = config.hosts[config.hosts.length - 1];
    switch (line.name) {
      case 'host': {
        const host = parseHostLine(line);
        if (host.url.startsWith('http://') && /^http:\/\//i.test(line.input)) plainHttp.add(host);
        config.hosts.push(host);
        break;
      }
      case 'server':
        config.server = parseUrl(line, line.input, 'https');
        break;
      case 'hosts_dir':
        if (line.input === '') throw new RunmdError(line.inputPos, '.hosts_dir needs a directory (e.g. /etc/containerd/certs.d)');
        config.hostsDir = line.input;
        break;
      case 'https':
      case 'skip_verify':
      case 'header':
        refineHost(requireHost(current, line), line, plainHttp);
        break;
      default:
        break;
    }
  }
  return config;
}

function requireHost(host: HostEntry | undefined, line: Line): HostEntry {
  if (!host) throw new RunmdError(line.pos, `.${line.name} applies to the ".host" line above it; add ": .host localhost:8578, pull, resolve" first`);
  return host;
}

function refineHost(host: HostEntry, line: Line, plainHttp: ReadonlySet<HostEntry>): void {
  if (line.name === 'skip_verify') {
    if (line.input !== '' && line.input !== 'true' && line.input !== 'false') {
      throw new RunmdError(line.inputPos, `.skip_verify takes nothing, "true" or "false", found "${line.input}"`);
    }
    host.skipVerify = line.input !== 'false';
  } else if (line.name === 'https') {
    // `.https [ca file]`: the host is reached over TLS, verified with this CA.
    if (plainHttp.has(host)) throw new RunmdError(line.pos, '.https conflicts with the http:// URL of the .host above');
    host.url = host.url.replace(/^http:/, 'https:');
    if (line.input !== '') host.ca = line.input;
  } else {
    const match = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s+(.+)$/.exec(line.input);
    if (!match?.[1] || match[2] === undefined) throw new RunmdError(line.inputPos, `.header is written ".header <name> <value>", found "${line.input}"`);
    const entry = host.headers.find(([name]) => name.toLowerCase() === match[1]!.toLowerCase());
    if (entry) entry[1].push(match[2]);
    else host.headers.push([match[1], [match[2]]]);
  }
}

/**
 * `.host <address>, <capability>, …`. An address without a scheme is the
 * mirror itself, served over plain HTTP on loopback; no capability means
 * `pull, resolve`: `push` must be asked for, and the compiler checks that the
 * `.proxy` serves pushes when the host is the mirror itself (docs/push.md).
 */
function parseHostLine(line: Line): HostEntry {
  const [address = '', ...words] = line.input.split(',').map((w) => w.trim());
  if (address === '') throw new RunmdError(line.inputPos, '.host needs an address (e.g. ".host localhost:8578, pull, resolve")');
  const wanted = new Set<HostCapability>();
  for (const word of words.map((w) => w.toLowerCase())) {
    if (!(HOST_CAPABILITIES as readonly string[]).includes(word)) {
      throw new RunmdError(line.inputPos, `"${word}" is not a containerd host capability (use ${HOST_CAPABILITIES.join(', ')})`);
    }
    wanted.add(word as HostCapability);
  }
  const capabilities = wanted.size === 0 ? (['pull', 'resolve'] as HostCapability[]) : HOST_CAPABILITIES.filter((c) => wanted.has(c));
  return { url: parseUrl(line, address, 'http'), capabilities, headers: [] };
}

/** A host URL as containerd wants it: scheme, host and port, no trailing slash. */
function parseUrl(line: Line, text: string, scheme: 'http' | 'https'): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `${scheme}://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new RunmdError(line.inputPos, `"${text}" is not a host:port or URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
    throw new RunmdError(line.inputPos, `"${text}" must be an http(s) address without credentials or query`);
  }
  // A path is kept: containerd appends /v2/… to it (override_path is not used).
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')}`;
}

/** Compile-time check of a `.mirror` step's containerd properties (its address is checked by the compiler). */
export function checkHostProperties(properties: readonly Line[]): void {
  hostsConfigFromMirror({ host: 'registry.invalid', origin: 'https://registry.invalid', properties: [...properties] });
}
