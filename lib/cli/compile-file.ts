import { readFileSync } from 'node:fs';
import { defaultCatalog } from '../catalog';
import { compileRunmd } from '../runmd/compile';
import type { MirrorConfig } from '../runmd/config';
import { parseRunmd } from '../runmd/parse';
import { BUILT_IN_NAME } from './default-runmd';
import type { ConfigSource } from './load-config';

/** Parses and compiles a runmd file against the built-in catalog; throws RunmdError on mistakes. */
export function compileFile(file: string): MirrorConfig {
  return compileRunmd(parseRunmd(readFileSync(file, 'utf8'), file), defaultCatalog);
}

/** Compiles a config file or the built-in default. */
export function compileSource(source: ConfigSource): MirrorConfig {
  if (source.kind === 'file') return compileFile(source.file);
  return compileRunmd(parseRunmd(source.runmd, BUILT_IN_NAME), defaultCatalog);
}
