import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { canConnect } from './ports';

/** What to start and where its output goes. */
export interface StartProcessOptions {
  /** Short label used in error messages. */
  name: string;
  /** Absolute path of the executable. */
  command: string;
  args: string[];
  /** stdout and stderr are appended here, so a failed test can show them. */
  logPath: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A child process started by the harness. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Exit code or signal once the process has exited, else undefined. */
  exitStatus(): string | undefined;
  /** Resolves once 127.0.0.1:`port` accepts connections; rejects if the process dies first. */
  waitForPort(port: number, timeoutMs?: number): Promise<void>;
  /** Resolves once `file` exists; rejects if the process dies first. */
  waitForFile(file: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

// Every live child, so an aborted jest run still kills them (see reapOnExit).
const live = new Set<ChildProcess>();
let reaperInstalled = false;

function reapOnExit(): void {
  if (reaperInstalled) return;
  reaperInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the only thing that cannot hang.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Last `lines` lines of a log file, for error messages. */
export function logTail(logPath: string, lines = 30): string {
  try {
    return fs.readFileSync(logPath, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `check` every 50 ms until it is true, `failure()` returns a reason, or time runs out. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  failure: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    const reason = failure();
    if (reason !== undefined) throw new Error(`${what}: ${reason}`);
    if (Date.now() > deadline) throw new Error(`${what}: timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts a child with output appended to `logPath`; see {@link ManagedProcess}. */
export function startProcess(opts: StartProcessOptions): ManagedProcess {
  reapOnExit();
  const fd = fs.openSync(opts.logPath, 'a');
  let child: ChildProcess;
  try {
    // Not detached: the child stays in our process group, so a Ctrl-C on the test
    // run reaches it too.
    child = spawn(opts.command, opts.args, { stdio: ['ignore', fd, fd], env: opts.env, cwd: opts.cwd });
  } finally {
    fs.closeSync(fd);
  }
  let status: string | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      status = signal ?? `code ${code ?? '?'}`;
      live.delete(child);
      resolve();
    });
    child.once('error', (err) => {
      spawnError = err;
      status ??= `failed to start: ${err.message}`;
      live.delete(child);
      resolve();
    });
  });
  if (child.pid === undefined) {
    throw new Error(`${opts.name}: could not start ${opts.command}`);
  }
  live.add(child);
  const died = (): string | undefined =>
    status === undefined ? undefined : `${opts.name} exited (${status})\n${logTail(opts.logPath)}`;

  return {
    name: opts.name,
    pid: child.pid,
    logPath: opts.logPath,
    exitStatus: () => status,
    waitForPort: (port, timeoutMs = 30_000) =>
      waitUntil(`${opts.name} listening on 127.0.0.1:${port}`, () => canConnect(port), timeoutMs, died),
    waitForFile: (file, timeoutMs = 30_000) =>
      waitUntil(`${opts.name} creating ${file}`, () => fs.existsSync(file), timeoutMs, died),
    async stop(graceMs = 10_000) {
      if (status !== undefined || spawnError !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
