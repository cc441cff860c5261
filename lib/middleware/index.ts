import { authnPlugin } from './authn';
import { discoverPlugin } from './discover';
import { loginPlugin } from './login';
import type { PluginDefinition } from './plugin';
import { pullPlugin } from './pull';
import { pushPlugin } from './push';
import { resolvePlugin } from './resolve';
import { teleportPlugin } from './teleport';

export { discoverPlugin, teleportPlugin };
export { authnPlugin, loginPlugin, pullPlugin, pushPlugin, resolvePlugin };
export type { PluginDefinition, PluginDeps } from './plugin';

/** Every route plugin the compiler accepts, by runmd name. */
export const PLUGINS: ReadonlyMap<string, PluginDefinition> = new Map(
  [loginPlugin, authnPlugin, pushPlugin, resolvePlugin, discoverPlugin, teleportPlugin, pullPlugin].map((p) => [p.name, p]),
);
