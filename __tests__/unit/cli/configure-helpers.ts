import fs from 'node:fs';
import path from 'node:path';

/** Copies `__tests__/fixtures/clients/<name>` to `<home>/<as>` and returns the copy's path. */
export function copyFixture(home: string, name: string, as = name): string {
  const target = path.join(home, as);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(path.join(__dirname, '../../fixtures/clients', name), target);
  return target;
}

export function read(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

/** The backups `replaceConfigFile` left next to `file`. */
export function backupsOf(file: string): string[] {
  const base = `${path.basename(file)}.lifec-backup-`;
  return fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith(base)).map((f) => path.join(path.dirname(file), f));
}
