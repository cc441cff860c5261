import { MalformedConfigError } from './config-file';
import { emitYaml } from './yaml-emit';
import { PlainScalar, YamlSubsetError, parseYamlSubset, type YamlMap, type YamlValue } from './yaml-subset';

/** Where k3s reads its registry configuration (rke2: /etc/rancher/rke2/registries.yaml). */
export const DEFAULT_K3S_REGISTRIES = '/etc/rancher/k3s/registries.yaml';

/** One `mirrors.<registry>` entry: `"*"` stands for every registry without its own (containerd's `_default`). */
export interface K3sMirror {
  registry: string;
  endpoint: string;
}

/**
 * Merges the mirror into k3s/rke2 `registries.yaml`: for each registry its
 * `endpoint` list starts with the mirror, and keeps the endpoints already
 * there after it. k3s renders each entry into a containerd hosts.toml
 * (pull, resolve), so containerd sends `?ns=<registry>` and falls back to the
 * next endpoint, then the registry itself. Every other key (`rewrite`,
 * `configs` with its credentials, other registries) is kept; comments are
 * not (the caller keeps a backup). Returns `previous` itself when nothing
 * changes.
 *
 * @throws MalformedConfigError when `previous` is outside the YAML this tool reads, or has the wrong shape
 */
export function mergeRegistriesYaml(file: string, previous: string | undefined, entries: readonly K3sMirror[]): string {
  let root: YamlValue;
  try {
    root = parseYamlSubset(previous ?? '');
  } catch (err) {
    if (!(err instanceof YamlSubsetError)) throw err;
    throw new MalformedConfigError(file, `is not YAML this tool can merge (${err.message})`, { cause: err });
  }
  if (!(root instanceof Map)) throw new MalformedConfigError(file, 'is not a YAML mapping');
  const before = emitYaml(root);
  const mirrors = mapAt(root, 'mirrors', file, 'mirrors');
  for (const { registry, endpoint } of entries) {
    const entry = mapAt(mirrors, registry, file, `mirrors."${registry}"`);
    const current = entry.get('endpoint');
    const list = isEmpty(current) ? [] : current;
    if (!Array.isArray(list) || !list.every((u) => typeof u === 'string' || u instanceof PlainScalar)) {
      throw new MalformedConfigError(file, `has a mirrors."${registry}".endpoint that is not a list of URLs`);
    }
    const same = (u: string | PlainScalar): boolean => textOf(u).replace(/\/+$/, '') === endpoint;
    entry.set('endpoint', [endpoint, ...list.filter((u) => !same(u as string | PlainScalar))]);
  }
  const after = emitYaml(root);
  return previous !== undefined && after === before ? previous : after;
}

/** The mapping at `key` of `map`, created when absent or empty. */
function mapAt(map: YamlMap, key: string, file: string, name: string): YamlMap {
  const value = map.get(key);
  if (value instanceof Map) return value;
  if (!isEmpty(value)) throw new MalformedConfigError(file, `has a ${name} that is not a mapping`);
  const created: YamlMap = new Map();
  map.set(key, created);
  return created;
}

function isEmpty(value: YamlValue | undefined): value is undefined | PlainScalar {
  return value === undefined || (value instanceof PlainScalar && (value.text === '' || value.text === 'null' || value.text === '~'));
}

function textOf(value: string | PlainScalar): string {
  return value instanceof PlainScalar ? value.text : value;
}
