import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatPlatform, hostPlatform, parsePlatform } from '../oci/platform';
import { parseWarmReferences } from '../warm/job';
import type { WarmJobReport } from '../warm/report';
import { adminRequest } from './admin-client';
import { CliError, type CliIO } from './io';
import { mirrorUrl } from './mirror-url';
import type { RegisterCommand } from './program';
import { barsOutput } from './warm-bars';
import { failureLines, jsonOutput, plainOutput, type WarmOutput } from './warm-output';

export interface WarmOptions {
  config: string;
  file?: string;
  platform?: string[];
  allPlatforms?: boolean;
  mirror?: string;
  json?: boolean;
  /** How often the job is polled (ms). */
  pollMs?: number;
}

/** Exit status when an image is not cached (not found, registry unreachable, canceled). */
export const WARM_INCOMPLETE = 1;
/** Exit status for a reference, platform or option that is not valid. */
export const WARM_USAGE = 2;

/** `warm <image>… [--file f] [--platform p]… | --all-platforms [--mirror url] [--json]`. */
export const registerWarm: RegisterCommand = (program, env) => {
  program
    .command('warm')
    .description("fetch images into the running mirror's cache through its own API, with progress")
    .argument('[images...]', 'image references: registry/repository:tag or @digest (redis:7 is docker.io/library/redis:7)')
    .option('-f, --file <list>', 'read more references from a file, one per line (# starts a comment)')
    .option('--platform <os/arch>', 'warm this platform of multi-platform images (repeatable; default: this host\'s)', collect, [])
    .option('--all-platforms', 'warm every platform an index lists')
    .option('--mirror <url>', 'the running mirror (default: the .proxy address of --config, else localhost:8578)')
    .option('-c, --config <file>', 'runmd config file naming the mirror address', 'mirror.runmd')
    .option('--json', 'one JSON object per event, one per line')
    .action((images: string[], options: WarmOptions) => warmCommand(images, options, env.io));
};

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Starts a warm job on the running mirror (`POST /_lifec/warm`) and follows
 * it (`GET /_lifec/warm/<id>`) until every image is cached or failed. A stop
 * request (Ctrl-C) cancels the job; what was cached stays, so running the same
 * warm again resumes. Exits 0 only when every image is cached.
 */
export async function warmCommand(images: readonly string[], options: WarmOptions, io: CliIO): Promise<void> {
  const references = [...images, ...(options.file ? readList(path.resolve(io.cwd, options.file)) : [])];
  if (references.length === 0) throw new CliError('name at least one image (or --file <list>)', WARM_USAGE);
  try {
    parseWarmReferences(references);
  } catch (err) {
    throw new CliError((err as Error).message, WARM_USAGE);
  }
  const platforms = platformsOf(options);
  const base = mirrorUrl(options.mirror, options.config, io);
  const started = Date.now();
  let report = await adminRequest<WarmJobReport>(base, 'POST', '/_lifec/warm', { references, platforms });
  const output = outputFor(options, io, started);
  let stopped = false;
  void io.stopSignal.then(() => (stopped = true));
  const stop = io.stopSignal.then(() => undefined);
  while (report.state === 'running' && !stopped) {
    output.update(report);
    await Promise.race([sleep(options.pollMs ?? 250), stop]);
    report = await adminRequest<WarmJobReport>(base, stopped ? 'DELETE' : 'GET', `/_lifec/warm/${report.id}`);
  }
  // A cancel answers before the requests in flight have ended: the last report follows them.
  while (report.state === 'running') {
    await sleep(100);
    report = await adminRequest<WarmJobReport>(base, 'GET', `/_lifec/warm/${report.id}`);
  }
  output.finish(report);
  if (report.state !== 'done') {
    const failed = failureLines(report);
    throw new CliError(`${failed.length} of ${report.images.length} images not cached: ${failed.join('; ')}`, stopped ? 130 : WARM_INCOMPLETE);
  }
}

function platformsOf(options: WarmOptions): string[] | 'all' {
  const listed = options.platform ?? [];
  if (options.allPlatforms && listed.length > 0) throw new CliError('--platform and --all-platforms exclude each other', WARM_USAGE);
  if (options.allPlatforms) return 'all';
  try {
    return listed.length > 0 ? listed.map((p) => formatPlatform(parsePlatform(p))) : [formatPlatform(hostPlatform())];
  } catch (err) {
    throw new CliError((err as Error).message, WARM_USAGE);
  }
}

/** `--json`, else bars on a terminal, else plain lines. */
function outputFor(options: WarmOptions, io: CliIO, started: number): WarmOutput {
  if (options.json) return jsonOutput(io.stdout);
  const tty = (io.stdout as NodeJS.WritableStream & { isTTY?: boolean }).isTTY === true;
  return tty ? barsOutput(io.stdout, started, Date.now) : plainOutput(io.stdout, started, Date.now);
}

/** References from a list file: one per line; blank lines and `#` comments are skipped. */
function readList(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, WARM_USAGE);
  }
  return text.split(/\r?\n/).map((line) => line.replace(/#.*/, '').trim()).filter((line) => line !== '');
}
