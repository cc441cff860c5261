import path from 'node:path';
import { MalformedConfigError, replaceConfigFile } from '../clients/config-file';
import { readIfExists } from '../containerd/atomic-write';
import type { ClientContext } from './client-context';
import { CliError } from './io';

/** How one client file is produced from what is there now. */
export interface ClientFile {
  file: string;
  /** The new content from the previous one (undefined when there is none); throws MalformedConfigError to refuse. */
  render(previous: string | undefined, file: string): string;
  /** Whether the previous content gets a backup before it is replaced. */
  backup(previous: string, file: string): boolean;
  /** Whether `# <file>` can head the dry-run output (false for JSON). */
  comments: boolean;
}

/**
 * Writes one client file, or with `--dry-run` prints it: stdout gets exactly
 * the content (so it can be redirected), stderr says where it would go.
 * A malformed existing file is refused with one line and left as it was.
 */
export async function writeClientFile(context: ClientContext, target: ClientFile): Promise<'written' | 'unchanged' | 'printed'> {
  const file = path.resolve(context.io.cwd, target.file);
  const { stdout, stderr } = context.io;
  try {
    const previous = await readIfExists(file);
    const content = target.render(previous, file);
    if (context.dryRun) {
      if (target.comments) stdout.write(`# ${file}\n`);
      else stderr.write(`would write ${file}\n`);
      stdout.write(content);
      return 'printed';
    }
    const result = await replaceConfigFile(file, content, context.now, (p) => target.backup(p, file));
    if (result.backup) stdout.write(`kept the previous file as ${result.backup}\n`);
    stdout.write(`${result.outcome} ${file}\n`);
    return result.outcome;
  } catch (err) {
    if (err instanceof MalformedConfigError) throw new CliError(err.message, 1, { cause: err });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    throw new CliError(`cannot write ${file}: ${code}${code === 'EACCES' ? ' (run as root, or choose another file with --file)' : ''}`, 1, { cause: err });
  }
}
