import fs from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'smol-toml';
import { readIfExists } from '../containerd/atomic-write';
import { MalformedConfigError } from './config-file';

/** A `[[registry]]` table as containers-registries.conf(5) writes it. */
export type RegistryTable = Record<string, unknown>;

/**
 * The `[[registry]]` entries podman would have without the drop-in at
 * `dropIn`, by prefix: those of the `registries.conf` next to its
 * `registries.conf.d` directory, then of the drop-ins sorted before it (a
 * later entry with the same prefix replaces an earlier one, as
 * containers/image merges them). The drop-in replaces these entries, so it
 * has to carry them over or a user's mirrors and settings would be lost.
 * A drop-in outside a `registries.conf.d` directory has nothing before it.
 *
 * @throws MalformedConfigError when one of those files is not TOML
 */
export async function registriesBefore(dropIn: string): Promise<Map<string, RegistryTable>> {
  const dir = path.dirname(dropIn);
  const entries = new Map<string, RegistryTable>();
  if (path.basename(dir) !== 'registries.conf.d') return entries;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const earlier = names.filter((n) => n.endsWith('.conf') && n < path.basename(dropIn)).sort();
  for (const file of [path.join(path.dirname(dir), 'registries.conf'), ...earlier.map((n) => path.join(dir, n))]) {
    const text = await readIfExists(file);
    if (text === undefined) continue;
    let registry: unknown;
    try {
      registry = parse(text).registry;
    } catch (err) {
      throw new MalformedConfigError(file, `is not valid TOML (${(err as Error).message.split('\n')[0]})`, { cause: err });
    }
    if (!Array.isArray(registry)) continue;
    for (const table of registry as RegistryTable[]) {
      const prefix = table.prefix ?? table.location;
      if (typeof prefix === 'string') entries.set(prefix, table);
    }
  }
  return entries;
}
