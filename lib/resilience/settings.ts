import type { Line } from '../runmd/ast';
import { parseDuration } from '../runmd/duration';
import { RunmdError } from '../runmd/errors';
import { parseSize } from '../runmd/size';
import { DEFAULT_BREAKER, type BreakerPolicy } from './circuit-breaker';
import { DEFAULT_LIMITER, type LimiterPolicy } from './limiter';
import { DEFAULT_RETRY, type RetryPolicy } from './retry';

export interface ResilienceSettings {
  retry: RetryPolicy;
  breaker: BreakerPolicy;
  limiter: LimiterPolicy;
  /** Client connections the server holds at once; past it new connections are refused (containerd then falls back). */
  maxConnections: number;
  /** Bytes that transfers may hold in buffers at once (`.buffer_memory`). */
  bufferMemory: number;
}

/** Far above what one node's containerd opens, low enough to bound sockets and memory. */
export const DEFAULT_MAX_CONNECTIONS = 1024;

/** Room for the default 16 downloads' working sets and their readers' read-ahead (docs/operations.md). */
export const DEFAULT_BUFFER_MEMORY = 256 * 1024 * 1024;

/**
 * Reads the `.proxy` settings for resilience:
 * `: .retries <n>`, `: .circuit <failures> <cooldown>` (or `off`),
 * `: .downloads <concurrent> [<queued>]`, `: .connections <max>`,
 * `: .buffer_memory <size>`.
 */
export function resilienceSettings(settings: readonly Line[]): ResilienceSettings {
  const result: ResilienceSettings = {
    retry: { ...DEFAULT_RETRY },
    breaker: { ...DEFAULT_BREAKER },
    limiter: { ...DEFAULT_LIMITER },
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    bufferMemory: DEFAULT_BUFFER_MEMORY,
  };
  for (const line of settings) {
    const words = line.input.split(/\s+/).filter((w) => w !== '');
    if (line.name === 'retries') {
      result.retry.retries = count(line, words[0], 0, '.retries takes a number of retries (e.g. ".retries 2")');
    } else if (line.name === 'circuit') {
      if (words[0] === 'off') result.breaker.failures = 0;
      else {
        const usage = '.circuit takes failures and a cooldown (e.g. ".circuit 5 10s") or "off"';
        result.breaker.failures = count(line, words[0], 1, usage);
        if (words[1] === undefined) throw new RunmdError(line.inputPos, usage);
        result.breaker.cooldownMs = parseDuration(words[1], line.inputPos);
      }
    } else if (line.name === 'downloads') {
      const usage = '.downloads takes the concurrent downloads and an optional queue length (e.g. ".downloads 16 256")';
      result.limiter.concurrent = count(line, words[0], 1, usage);
      if (words[1] !== undefined) result.limiter.queued = count(line, words[1], 0, usage);
    } else if (line.name === 'buffer_memory') {
      const bytes = parseSize(line.input);
      if (bytes === undefined || bytes <= 0) throw new RunmdError(line.inputPos, '.buffer_memory takes a size (e.g. ".buffer_memory 256MiB")');
      result.bufferMemory = bytes;
    } else if (line.name === 'connections') {
      result.maxConnections = count(line, words[0], 1, '.connections takes the most client connections at once (e.g. ".connections 1024")');
    }
  }
  return result;
}

function count(line: Line, word: string | undefined, min: number, usage: string): number {
  const value = Number(word);
  if (word === undefined || !/^\d+$/.test(word) || value < min) throw new RunmdError(line.inputPos, usage);
  return value;
}
