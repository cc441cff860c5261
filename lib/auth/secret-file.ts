import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a file that holds a secret: mode 0600 from the first byte (the
 * temporary file is created with it), flushed, then renamed over the target,
 * so readers see the old content or the new, never a partial or
 * world-readable file. The directory is created 0700 when missing.
 */
export async function writeSecretFile(target: string, content: string): Promise<void> {
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    // The umask does not apply to chmod: make sure of 0600 whatever the process umask is.
    await fs.chmod(temporary, 0o600);
    await fs.rename(temporary, target);
  } catch (err) {
    await fs.rm(temporary, { force: true });
    throw err;
  }
}
