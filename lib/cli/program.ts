import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { LogFormat } from '../log';
import type { CliIO } from './io';

/** The options every command sees (`lifec-mirror --registry r --log-level debug <command>`). */
export interface GlobalOptions {
  logLevel: string;
  logFormat: LogFormat;
  registry?: string;
  registryHost: string;
}

/** What a command's `register` function gets from main. */
export interface CommandEnv {
  io: CliIO;
  /** The global options, read when the command runs (after parsing). */
  globals(): GlobalOptions;
  /** A logger honouring `--log-level` and `--log-format`, writing to stderr. */
  logger(): Logger;
}

/** Adds one subcommand to the program; one per file in lib/cli. */
export type RegisterCommand = (program: Command, env: CommandEnv) => void;
