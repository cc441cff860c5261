import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { findBinary } from '../__tests__/harness';

function version(binary: string, args: string[]): string {
  try {
    // nginx prints its version on stderr.
    const out = execFileSync(findBinary(binary), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.trim().split('\n')[0] ?? '';
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr;
    return stderr ? (stderr.trim().split('\n')[0] ?? '') : 'unknown';
  }
}

/** The machine and component versions, so numbers from different machines are not compared blindly. */
export function describeMachine(): Record<string, string | number> {
  const nginx = (() => {
    try {
      execFileSync(findBinary('nginx'), ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return 'unknown';
    } catch (err) {
      return ((err as { stderr?: string }).stderr ?? '').trim();
    }
  })();
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    node: process.version,
    registry: version('docker-registry', ['--version']),
    nginx: nginx || version('nginx', ['-v']),
    containerd: version('containerd', ['--version']),
    curl: version('curl', ['--version']),
  };
}
