import { execFile } from 'node:child_process';
import { findBinary } from '../__tests__/harness';

/** One download as curl saw it. */
export interface Download {
  status: number;
  bytes: number;
  seconds: number;
}

/**
 * Downloads `url` to /dev/null with curl: a client outside this process, so
 * the bench's own event loop never limits the rate it measures.
 */
export function curlDownload(url: string, headers: Record<string, string>, extra: string[] = []): Promise<Download> {
  const args = ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total}', ...extra];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile(findBinary('curl'), args, { timeout: 600_000 }, (err, stdout) => {
      const [status, bytes, seconds] = stdout.trim().split(' ').map(Number);
      if (err && !stdout) return reject(new Error(`curl ${url}: ${err.message}`));
      resolve({ status: status ?? 0, bytes: bytes ?? 0, seconds: seconds ?? Number.NaN });
    });
  });
}
