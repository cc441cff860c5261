import path from 'node:path';
import type { Command } from 'commander';
import { digestOf } from '../cache/cache-key';
import { formatBytes, listCache, pruneCache } from '../cache/inspect';
import { cacheSettings, parseSize } from '../cache/settings';
import { compileFile } from './compile-file';
import { CliError, type CliIO } from './io';
import { resolveConfigPath } from './load-config';
import type { RegisterCommand } from './program';

interface CacheOptions {
  config: string;
  dir?: string;
}

/** `cache ls|du|prune`: inspect and trim the mirror's cache (the directory its config names, or `--dir`). */
export const registerCache: RegisterCommand = (program, env) => {
  const cache = program.command('cache').description('inspect and trim the blob and manifest cache');
  const common = (command: Command): Command =>
    command.option('-c, --config <file>', 'runmd config file (its .cache setting names the directory)', 'mirror.runmd').option('--dir <dir>', 'the cache directory (instead of the config)');
  common(cache.command('ls').description('list cached digests, least recently used first')).action((o: CacheOptions) => lsCommand(o, env.io));
  common(cache.command('du').description('show the space the cache uses and its cap')).action((o: CacheOptions) => duCommand(o, env.io));
  common(cache.command('prune').description('remove least recently used files down to a size'))
    .option('--max-size <size>', 'keep at most this much (e.g. 5GiB); default: the configured cap')
    .action((o: CacheOptions & { maxSize?: string }) => pruneCommand(o, env.io));
};

/** The cache directory and cap from `--dir` or the config's `.cache` line. */
function locate(options: CacheOptions, io: CliIO): { dir: string; maxBytes?: number } {
  if (options.dir) return { dir: path.resolve(io.cwd, options.dir) };
  const file = resolveConfigPath(options.config, io);
  const settings = cacheSettings(compileFile(file).proxy?.settings ?? [], path.dirname(file));
  if (!settings.dir) throw new CliError(`${file} turns the cache off (".cache off")`);
  return { dir: settings.dir, maxBytes: settings.maxBytes };
}

async function lsCommand(options: CacheOptions, io: CliIO): Promise<void> {
  const listing = await listCache(locate(options, io).dir);
  for (const file of listing.files) {
    io.stdout.write(`${digestOf(file.key)}  ${String(file.size).padStart(12)}  ${new Date(file.mtimeMs).toISOString()}\n`);
  }
}

async function duCommand(options: CacheOptions, io: CliIO): Promise<void> {
  const { dir, maxBytes } = locate(options, io);
  const listing = await listCache(dir);
  const cap = maxBytes === undefined ? '' : ` (cap ${formatBytes(maxBytes)})`;
  io.stdout.write(`${formatBytes(listing.totalBytes)} in ${listing.files.length} files${cap}: ${dir}\n`);
}

async function pruneCommand(options: CacheOptions & { maxSize?: string }, io: CliIO): Promise<void> {
  const { dir, maxBytes } = locate(options, io);
  const limit = options.maxSize === undefined ? maxBytes : parseSize(options.maxSize);
  if (limit === undefined) {
    throw new CliError(options.maxSize === undefined ? 'give --max-size (no config names a cap)' : `"${options.maxSize}" is not a size (e.g. 5GiB)`);
  }
  const { removed, totalBytes } = await pruneCache(dir, limit);
  const freed = removed.reduce((sum, f) => sum + f.size, 0);
  io.stdout.write(`removed ${removed.length} files (${formatBytes(freed)}); ${formatBytes(totalBytes)} left in ${dir}\n`);
}
