import { readFileSync } from 'node:fs';
import { defaultCatalog } from '../catalog';
import { compileRunmd } from '../runmd/compile';
import type { MirrorConfig } from '../runmd/config';
import { parseRunmd } from '../runmd/parse';

/** Parses and compiles a runmd file against the built-in catalog; throws RunmdError on mistakes. */
export function compileFile(file: string): MirrorConfig {
  return compileRunmd(parseRunmd(readFileSync(file, 'utf8'), file), defaultCatalog);
}
