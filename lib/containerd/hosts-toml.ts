import { stringify } from 'smol-toml';
import type { HostEntry, HostsConfig } from './host-config';

/**
 * First line of every hosts.toml lifec-mirror writes. Finding it tells the
 * installer the file is its own and may be replaced without a backup.
 */
export const HOSTS_TOML_MARKER = '# Written by lifec-mirror';

type TomlTable = Record<string, unknown>;

/**
 * Renders containerd's hosts.toml for one registry (containerd docs/hosts.md).
 * Pure and deterministic: keys come out in a fixed order, and smol-toml
 * escapes quotes and newlines in values, so any header value stays valid TOML.
 *
 * `server` is the registry itself, tried after every `[host]`: when the mirror
 * is down (connection refused) or answers 404 or >= 400, containerd falls
 * back to it.
 *
 * @param source where the file came from (the runmd path), named in the header comment
 * @param rewrittenBy what writes the file again, named in the header comment
 */
export function renderHostsToml(config: HostsConfig, source?: string, rewrittenBy = 'when it starts'): string {
  const table: TomlTable = {};
  // `_default` has no server of its own: containerd then falls back to the registry being pulled.
  if (config.registry !== '_default') table.server = config.server;
  const hosts: TomlTable = {};
  for (const host of config.hosts) hosts[host.url] = hostTable(host);
  table.host = hosts;
  const header = [
    `${HOSTS_TOML_MARKER} for ${config.registry}${source ? ` from ${source}` : ''}.`,
    `# lifec-mirror replaces this file ${rewrittenBy}; edit the runmd file instead.`,
  ];
  return `${header.join('\n')}\n${stringify(table).trimEnd()}\n`;
}

function hostTable(host: HostEntry): TomlTable {
  const table: TomlTable = { capabilities: [...host.capabilities] };
  if (host.ca !== undefined) table.ca = host.ca;
  if (host.skipVerify !== undefined) table.skip_verify = host.skipVerify;
  if (host.headers.length > 0) {
    // containerd reads a header as a string or an array of strings.
    table.header = Object.fromEntries(host.headers.map(([name, values]) => [name, values.length === 1 ? values[0] : [...values]]));
  }
  return table;
}
