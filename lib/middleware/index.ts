import type { PluginDefinition } from './plugin';
import { pullPlugin } from './pull';
import { resolvePlugin } from './resolve';

export { pullPlugin, resolvePlugin };
export type { Clock, PluginDefinition, PluginDeps } from './plugin';

/** Every route plugin the compiler accepts, by runmd name. */
export const PLUGINS: ReadonlyMap<string, PluginDefinition> = new Map(
  [resolvePlugin, pullPlugin].map((p) => [p.name, p]),
);
