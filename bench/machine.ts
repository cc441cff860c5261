import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { findBinary } from '../__tests__/harness';

/** The first line a program prints about its version (nginx prints it on stderr). */
function version(binary: string, args: string[]): string {
  try {
    const run = spawnSync(findBinary(binary), args, { encoding: 'utf8' });
    return `${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n')[0] || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The machine and component versions, so numbers from different machines are not compared blindly. */
export function describeMachine(): Record<string, string | number> {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    node: process.version,
    registry: version('docker-registry', ['--version']),
    nginx: version('nginx', ['-v']),
    containerd: version('containerd', ['--version']),
    curl: version('curl', ['--version']),
  };
}

/**
 * CPU time every core of the machine spent busy so far (all processes,
 * kernel work included), in ms: the first line of /proc/stat minus idle and
 * iowait (proc(5); USER_HZ is 100).
 */
export function machineBusyMs(): number {
  const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/) ?? [];
  const values = ticks.slice(0, 8).map(Number);
  const total = values.reduce((sum, v) => sum + v, 0);
  return (total - (values[3] ?? 0) - (values[4] ?? 0)) * 10;
}
