import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIO } from '../../../lib/cli/io';
import { main } from '../../../lib/cli/main';

/** A CLI run in-process: its output, and a way to ask it to stop. */
export interface CliRun {
  code: Promise<number>;
  stdout(): string;
  stderr(): string;
  stop(): void;
}

/** Runs `lifec-mirror ...args` in `cwd` with captured streams (and `env` as its environment). */
export function runCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  let stop: (signal: string) => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => (stop = resolve));
  const io: CliIO = { stdout, stderr, cwd, env, stopSignal };
  return {
    code: main(args, io),
    stdout: () => Buffer.concat(out).toString(),
    stderr: () => Buffer.concat(err).toString(),
    stop: () => stop('SIGTERM'),
  };
}

/** Runs a command that ends by itself and returns its exit code and output. */
export async function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = runCli(cwd, args, env);
  const code = await run.code;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

export function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-cli-'));
}

/** Every file under `dir`, relative, sorted. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}
