import { Command, CommanderError, Option } from 'commander';
import { createLogger } from '../log';
import { RunmdError } from '../runmd/errors';
import { registerCache } from './cache';
import { registerConfigure } from './configure';
import { registerDump } from './dump';
import { registerHosts } from './hosts';
import { registerInit } from './init';
import { CliError, type CliIO } from './io';
import { registerLogin } from './login';
import type { CommandEnv, GlobalOptions } from './program';
import { registerStart } from './start';
import { registerStatus } from './status';
import { registerWarm } from './warm';

/** Builds the `lifec-mirror` program; `io` makes it testable without spawning a process. */
export function buildProgram(io: CliIO): Command {
  const program = new Command('lifec-mirror')
    .description('A client-side registry mirror for containerd, configured in runmd.')
    .option('--registry <name>', 'the registry to mirror: a name (example → example.azurecr.io) or a host')
    .option('--registry-host <suffix>', 'the domain a registry name is completed with', 'azurecr.io')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'))
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'pretty']).default('json'))
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError(false);

  const env: CommandEnv = {
    io,
    globals: () => program.opts<GlobalOptions>(),
    logger: () => {
      const globals = program.opts<GlobalOptions>();
      return createLogger({ level: globals.logLevel, format: globals.logFormat, destination: io.stderr });
    },
  };
  for (const register of [registerInit, registerStart, registerDump, registerHosts, registerLogin, registerCache, registerConfigure, registerWarm, registerStatus]) register(program, env);
  // The original tool's spelling: `lifec-mirror mirror start`.
  registerStart(program.command('mirror').description('the original spelling of the mirror commands ("mirror start")'), env);
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
  io.stderr.write(`lifec-mirror: ${message.split('\n')[0] ?? message}\n`);
  return 1;
}
