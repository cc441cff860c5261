import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseListenAddress } from '../server';
import { compileFile } from './compile-file';
import { CliError, type CliIO } from './io';

/** Where a mirror listens when nothing says otherwise. */
export const DEFAULT_MIRROR_ADDRESS = 'localhost:8578';

/**
 * The running mirror's base URL: `--mirror` (a URL or `host:port`), else the
 * `.proxy` address of the config file when there is one, else
 * `localhost:8578`. A wildcard bind (`0.0.0.0`) is reached on loopback, where
 * the admin endpoints answer.
 */
export function mirrorUrl(mirror: string | undefined, config: string, io: CliIO): string {
  if (mirror !== undefined) return normalize(mirror);
  const file = path.resolve(io.cwd, config);
  const proxy = existsSync(file) ? compileFile(file).proxy : undefined;
  const { host, port } = parseListenAddress(proxy?.address ?? DEFAULT_MIRROR_ADDRESS);
  // With `.tls` the certificate names the mirror, typically as localhost, not as 127.0.0.1.
  if (proxy?.settings.some((l) => l.name === 'tls')) return `https://${host === '0.0.0.0' || host === '::' || host === '127.0.0.1' ? 'localhost' : host}:${port}`;
  const loopback = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}`;
}

function normalize(text: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  try {
    const url = new URL(withScheme);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(url.protocol);
    return url.origin;
  } catch {
    throw new CliError(`--mirror "${text}" is not a URL or host:port`, 2);
  }
}
