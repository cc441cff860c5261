import fs from 'node:fs';
import path from 'node:path';

/**
 * Directories searched after PATH. Debian puts some tools in /usr/sbin, which a
 * non-login root shell or a CI runner may leave off PATH.
 */
const FALLBACK_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** How to get the external tools; `npm test` runs this check before jest. */
export const INSTALL_HINT = 'run `sudo scripts/install-test-deps.sh` (Debian/Ubuntu)';

/**
 * Absolute path of executable `name`, searched on PATH and then in the usual
 * system directories. Throws an error naming the install command if missing.
 */
export function findBinary(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...FALLBACK_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory; keep looking
    }
  }
  throw new Error(`'${name}' is not installed: ${INSTALL_HINT}`);
}

/** True when this process runs as root (containerd and its native snapshotter need it). */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
