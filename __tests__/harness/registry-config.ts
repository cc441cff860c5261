/** A JSON-compatible configuration tree. */
export type ConfigTree = { [key: string]: unknown };

const isTree = (value: unknown): value is ConfigTree =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Deep-merges `extra` into `base`: objects merge key by key, anything else replaces. */
export function mergeConfig(base: ConfigTree, extra: ConfigTree): ConfigTree {
  const out: ConfigTree = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isTree(current) && isTree(value) ? mergeConfig(current, value) : value;
  }
  return out;
}

/** What the base configuration needs to know. */
export interface BaseConfigInput {
  port: number;
  storageDir: string;
  secret: string;
  auth?: ConfigTree;
}

/**
 * Distribution 2.8 configuration (docs/configuration.md). It is written as JSON,
 * which the registry's YAML parser reads as YAML flow style, so no YAML library
 * is needed.
 */
export function baseRegistryConfig(input: BaseConfigInput): ConfigTree {
  return {
    version: '0.1',
    // The access log ("GET /v2/... HTTP/1.1" 200 ...) is written at info level.
    log: { level: 'info', formatter: 'text', accesslog: { disabled: false } },
    storage: {
      filesystem: { rootdirectory: input.storageDir },
      delete: { enabled: true },
      cache: { blobdescriptor: 'inmemory' },
      maintenance: { uploadpurging: { enabled: false } },
    },
    // A fixed secret keeps upload state valid across restart().
    http: { addr: `127.0.0.1:${input.port}`, secret: input.secret },
    health: { storagedriver: { enabled: false } },
    ...(input.auth ? { auth: input.auth } : {}),
  };
}
