import { PLUGINS } from './middleware';
import type { Catalog } from './runmd/catalog';
import { STEPS } from './runtime/steps';

/** Proxy-wide settings (lines of `.proxy` before its first route). */
export const PROXY_SETTINGS: readonly string[] = ['cache', 'tag_ttl', 'cache_scope', 'retries', 'circuit', 'downloads', 'connections', 'buffer_memory', 'tls'];

/** The catalog the mirror compiles runmd against: every plugin, step and setting it implements. */
export const defaultCatalog: Catalog = { plugins: PLUGINS, steps: STEPS, proxySettings: PROXY_SETTINGS };
