import { dumpEngine } from '../engine/dump';
import { compileSource } from './compile-file';
import type { CliIO } from './io';
import { findConfig } from './load-config';
import type { RegisterCommand } from './program';

/** `dump [--config file]`. */
export const registerDump: RegisterCommand = (program, env) => {
  program
    .command('dump')
    .description('print the compiled engine as a numbered tree: events, steps and .proxy routes (ids for "start --id")')
    .option('-c, --config <file>', 'runmd config file (default: ./mirror.runmd, else the built-in default)')
    .action((options: { config?: string }) => dumpCommand(options, env.io));
};

/**
 * `lifec-mirror dump`: prints the compiled engine as a numbered tree (the ids
 * `start --id` takes): of the config file, or of the built-in default when
 * there is none.
 */
export async function dumpCommand(options: { config?: string }, io: CliIO): Promise<void> {
  io.stdout.write(dumpEngine(compileSource(findConfig(options.config, io))));
}
