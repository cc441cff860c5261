import { Command, CommanderError, Option } from 'commander';
import { createLogger, type LogFormat } from '../log';
import { RunmdError } from '../runmd/errors';
import { CliError, type CliIO } from './io';
import { startCommand } from './start';

interface GlobalOptions {
  logLevel: string;
  logFormat: LogFormat;
}

/** Builds the `lifec-mirror` program; `io` makes it testable without spawning a process. */
export function buildProgram(io: CliIO): Command {
  const program = new Command('lifec-mirror')
    .description('A client-side registry mirror for containerd, configured in runmd.')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'))
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'pretty']).default('json'))
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError(false);

  const logger = (): ReturnType<typeof createLogger> => {
    const globals = program.opts<GlobalOptions>();
    return createLogger({ level: globals.logLevel, format: globals.logFormat, destination: io.stderr });
  };

  program
    .command('start')
    .description('serve the mirror described by the config until SIGINT/SIGTERM')
    .option('-c, --config <file>', 'runmd config file', 'mirror.runmd')
    .action((options: { config: string }) => startCommand(options, io, logger()));
  return program;
}

/**
 * Runs the CLI and returns the exit code. Every failure ends as one readable
 * line on stderr; `process.exit` is left to the bin.
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err, io);
  }
}

function reportError(err: unknown, io: CliIO): number {
  if (err instanceof CommanderError) {
    // Commander already printed its message (or the help / version text).
    return err.exitCode;
  }
  if (err instanceof CliError) {
    io.stderr.write(`lifec-mirror: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof RunmdError) {
    io.stderr.write(`lifec-mirror: ${err.message}\n`);
    return 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`lifec-mirror: ${message}\n`);
  return 1;
}
