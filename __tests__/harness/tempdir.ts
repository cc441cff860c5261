import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Set this to keep the harness's temp directories (logs, storage) after a run, for debugging. */
export const KEEP_ENV = 'LIFEC_TEST_KEEP';

/** Creates a fresh directory under the OS temp dir. */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lifec-${prefix}-`));
}

/** Removes `dir` unless {@link KEEP_ENV} is set. */
export function removeTempDir(dir: string): void {
  if (process.env[KEEP_ENV]) return;
  fs.rmSync(dir, { recursive: true, force: true });
}
