import type { MirrorStatus } from '../admin/status-data';
import { formatBytes } from '../cache/inspect';

/** Columns padded to their widest cell, two spaces apart. */
export function table(rows: readonly string[][]): string[] {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

const pct = (ratio: number | null): string => (ratio === null ? '–' : `${(ratio * 100).toFixed(1)} %`);
const ofTotal = (done: number, total: number): string => `${total > 0 ? Math.floor((done / total) * 100) : 0} %  ${formatBytes(done)} / ${formatBytes(total)}`;
const short = (digest: string | null): string => (digest && /^sha256:[a-f0-9]{64}$/.test(digest) ? `${digest.slice(0, 19)}…` : (digest ?? ''));

function uptime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `${h}h ${m}m` : `${m}m ${seconds % 60}s`;
}

/** `lifec-mirror status` as a compact table: registries, cache, downloads, warm jobs, the last requests. */
export function renderStatusTable(status: MirrorStatus, url: string, requestCount = 10): string {
  const out = [`lifec-mirror ${status.version} at ${url} · up ${uptime(status.uptimeSeconds)} · RSS ${formatBytes(status.rssBytes)}`, ''];
  out.push(
    ...table([
      ['REGISTRY', 'BREAKER', 'AUTH', 'TOKENS', 'LAST ERROR'],
      ...status.registries.map((r) => [
        `${r.host}${r.default ? ' (default)' : ''}`,
        r.breaker,
        r.auth.loginError ? `login failed: ${r.auth.loginError}` : (r.auth.scheme ?? 'none seen'),
        String(r.auth.tokens),
        r.lastError ? `${r.lastError.at.slice(11, 19)} ${r.lastError.message}` : '-',
      ]),
    ]),
  );
  const c = status.cache;
  out.push('');
  out.push(
    c.enabled
      ? `CACHE  ${formatBytes(c.usedBytes)} of ${formatBytes(c.capBytes)} · ${c.entries} entries · hit ratio blobs ${pct(c.hitRatio.blob)}, manifests ${pct(c.hitRatio.manifest)} · served cache ${formatBytes(c.servedBytes.cache)}, download ${formatBytes(c.servedBytes.download)}, upstream ${formatBytes(c.servedBytes.upstream)} · ${c.evictions} evictions`
      : 'CACHE  off',
  );
  const d = status.downloads;
  out.push(`DOWNLOADS  ${d.active} running, ${d.queued} queued`);
  out.push(...table(d.inProgress.map((x) => ['', short(x.digest), ofTotal(x.doneBytes, x.sizeBytes)])));
  if (status.warm.length > 0) {
    out.push('WARM JOBS');
    for (const job of status.warm) {
      out.push(`  ${job.id}  ${job.state}  ${job.source}  ${ofTotal(job.doneBytes, job.totalBytes)}`);
      out.push(...table(job.images.map((i) => ['', '', i.reference, i.state, i.error ?? ofTotal(i.doneBytes, i.totalBytes)])));
    }
  }
  const requests = status.requests.slice(0, requestCount);
  out.push(`REQUESTS  last ${requests.length} of ${status.requests.length}`);
  out.push(
    ...table(requests.map((r) => ['', r.time.slice(11, 19), r.method, r.registry, r.repository ?? '', short(r.reference), String(r.status), formatBytes(r.bytes), `${r.ms} ms`, r.source ?? ''])),
  );
  return `${out.join('\n')}\n`;
}
