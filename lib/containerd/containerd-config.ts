import { parse } from 'smol-toml';

/**
 * The table that holds `config_path` for each containerd config version
 * (containerd docs/hosts.md, "CRI"): version 1 (no `version` key), version 2
 * (containerd 1.x) and version 3 (containerd 2.x).
 */
const REGISTRY_TABLES: Readonly<Record<number, string[]>> = {
  1: ['plugins', 'cri', 'registry'],
  2: ['plugins', 'io.containerd.grpc.v1.cri', 'registry'],
  3: ['plugins', 'io.containerd.cri.v1.images', 'registry'],
};

/** What {@link setConfigPath} produced. */
export interface ConfigPathEdit {
  text: string;
  changed: boolean;
}

/**
 * Sets `config_path` in a containerd `config.toml` so the CRI plugin reads
 * `hostsDir`. The text is edited in place, line by line, so every other
 * setting and comment stays as it was; the result is parsed again to prove
 * it is valid and says what was meant.
 *
 * @throws Error when the file is not TOML, or cannot be edited safely
 */
export function setConfigPath(text: string, hostsDir: string): ConfigPathEdit {
  const before = text.trim() === '' ? {} : parse(text);
  const version = typeof before.version === 'number' ? before.version : text.trim() === '' ? 2 : 1;
  const tablePath = REGISTRY_TABLES[version];
  if (!tablePath) throw new Error(`containerd config version ${version} is not one lifec-mirror knows (1, 2 or 3)`);
  if (lookup(before, [...tablePath, 'config_path']) === hostsDir) return { text, changed: false };
  checkNoLegacyMirrors(before, tablePath);
  const header = `[${tablePath.map((k) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k))).join('.')}]`;
  const setting = `config_path = ${JSON.stringify(hostsDir)}`;
  const base = text.trim() === '' ? 'version = 2\n' : text;
  const edited = editTable(base, header, setting);
  let after: Record<string, unknown>;
  try {
    after = parse(edited);
  } catch (err) {
    throw new Error(`cannot edit ${header} safely (${(err as Error).message.split('\n')[0]}): set ${setting} there by hand`, { cause: err });
  }
  if (lookup(after, [...tablePath, 'config_path']) !== hostsDir) throw new Error(`cannot edit ${header} safely: set ${setting} there by hand`);
  return { text: edited, changed: true };
}

/**
 * containerd refuses to start its CRI plugin when `config_path` sits next to
 * the older `mirrors` or `configs.<host>.tls` settings ("`mirrors` cannot be
 * set when `config_path` is provided"): adding it there would break image
 * pulls on the node, so those must move to the hosts directory first.
 */
function checkNoLegacyMirrors(config: Record<string, unknown>, tablePath: string[]): void {
  const mirrors = lookup(config, [...tablePath, 'mirrors']);
  const configs = lookup(config, [...tablePath, 'configs']);
  const hasTls = typeof configs === 'object' && configs !== null && Object.values(configs).some((c) => lookup(c, ['tls']) !== undefined);
  if ((typeof mirrors === 'object' && mirrors !== null && Object.keys(mirrors).length > 0) || hasTls) {
    throw new Error(
      'this config.toml has registry "mirrors" or "configs.<host>.tls", which containerd does not allow next to config_path: move them to hosts.toml files first (docs/containerd.md)',
    );
  }
}

/** Replaces `config_path` inside the table `header`, adds it under the header, or appends the table. */
function editTable(text: string, header: string, setting: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim().replace(/\s+/g, '') === header.replace(/\s+/g, ''));
  if (start < 0) return `${text.replace(/\n*$/, '\n')}\n${header}\n  ${setting}\n`;
  let end = lines.findIndex((l, i) => i > start && /^\s*\[/.test(l));
  if (end < 0) end = lines.length;
  const existing = lines.findIndex((l, i) => i > start && i < end && /^\s*config_path\s*=/.test(l));
  if (existing >= 0) {
    const indent = /^\s*/.exec(lines[existing] ?? '')?.[0] ?? '';
    lines[existing] = `${indent}${setting}`;
  } else {
    lines.splice(start + 1, 0, `  ${setting}`);
  }
  return lines.join('\n');
}

function lookup(table: unknown, keys: string[]): unknown {
  let node: unknown = table;
  for (const key of keys) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
