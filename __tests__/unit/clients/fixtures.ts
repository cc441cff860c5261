import fs from 'node:fs';
import path from 'node:path';

/** The text of `__tests__/fixtures/clients/<name>`. */
export function fixture(name: string): string {
  return fs.readFileSync(path.join(__dirname, '../../fixtures/clients', name), 'utf8');
}
