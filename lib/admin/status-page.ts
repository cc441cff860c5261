import { formatBytes } from '../cache/inspect';
import type { WarmJobReport } from '../warm/report';
import { renderChart } from './status-chart';
import type { MirrorStatus, RegistryStatus } from './status-data';
import { STATUS_STYLE } from './status-style';

/** Escapes text for HTML content and attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A number shown formatted, with its raw value in `data-value` (what a test or a scraper compares). */
const num = (field: string, value: number, text: string = String(value)): string => `<span data-field="${esc(field)}" data-value="${value}">${esc(text)}</span>`;
const pct = (ratio: number | null): string => (ratio === null ? '–' : `${(ratio * 100).toFixed(1)} %`);

/** A bar for `done` of `total` bytes; `data-digest` or `data-image` says what it is for. */
function bar(done: number, total: number, attributes: string): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  return `<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="${total}" aria-valuenow="${done}" ${attributes}><span style="width:${(ratio * 100).toFixed(1)}%"></span></div>`;
}

function duration(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m ${Math.floor(seconds % 60)}s`;
}

const short = (digest: string | null): string => (digest && /^sha256:[a-f0-9]{64}$/.test(digest) ? `${digest.slice(0, 19)}…` : (digest ?? ''));
const time = (isoTime: string): string => isoTime.slice(11, 19);

function registries(list: RegistryStatus[]): string {
  const rows = list.map((r) => {
    const auth = r.auth.scheme === null ? '<span class="muted">no challenge seen</span>' : `${esc(r.auth.scheme)}${r.auth.realm ? ` · ${esc(r.auth.realm)}` : ''}`;
    const tokens = r.auth.scheme === 'bearer' ? ` · ${num(`registries.${r.host}.tokens`, r.auth.tokens)} token${r.auth.tokens === 1 ? '' : 's'}${r.auth.tokenExpiresAt ? ` until ${esc(time(r.auth.tokenExpiresAt))}` : ''}` : '';
    const login = r.auth.loginError ? `<div class="error">login failed: ${esc(r.auth.loginError)}</div>` : '';
    const error = r.lastError ? `<span class="error">${esc(time(r.lastError.at))} ${esc(r.lastError.message)}</span>` : '<span class="muted">none</span>';
    return `<tr data-registry="${esc(r.host)}"><td><b>${esc(r.host)}</b>${r.default ? ' <span class="tag">default</span>' : ''}</td><td>${r.endpoints.map((e) => `${esc(e.url)}${r.endpoints.length > 1 ? ` <span class="state ${esc(e.breaker)}">${esc(e.breaker)}</span>` : ''}`).join('<br>')}</td><td><span class="state ${esc(r.breaker)}" data-field="breaker">${esc(r.breaker)}</span></td><td>${auth}${tokens}${login}</td><td>${error}</td></tr>`;
  });
  return `<table id="registries"><thead><tr><th>registry</th><th>endpoints</th><th>breaker</th><th>auth</th><th>last error</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function cache(c: MirrorStatus['cache']): string {
  if (!c.enabled) return '<p class="muted" id="cache">The cache is off (<code>.cache off</code>).</p>';
  const cards = [
    ['used', `${num('cache.usedBytes', c.usedBytes, formatBytes(c.usedBytes))} of ${num('cache.capBytes', c.capBytes, formatBytes(c.capBytes))}${bar(c.usedBytes, c.capBytes, 'data-cache="used"')}`],
    ['entries', num('cache.entries', c.entries)],
    ['blob hit ratio', `${pct(c.hitRatio.blob)}<small>${num('cache.hits.blob', c.hits.blob)} hits · ${num('cache.misses.blob', c.misses.blob)} misses</small>`],
    ['manifest hit ratio', `${pct(c.hitRatio.manifest)}<small>${num('cache.hits.manifest', c.hits.manifest)} hits · ${num('cache.misses.manifest', c.misses.manifest)} misses</small>`],
    ['served', `${formatBytes(c.servedBytes.cache + c.servedBytes.download + c.servedBytes.upstream)}<small>${(['cache', 'download', 'upstream'] as const).map((s) => `${s} ${num(`cache.servedBytes.${s}`, c.servedBytes[s], formatBytes(c.servedBytes[s]))}`).join(' · ')}</small>`],
    ['evictions', `${num('cache.evictions', c.evictions)}<small>${formatBytes(c.evictedBytes)}</small>`],
  ];
  return `<div class="cards" id="cache">${cards.map(([label, value]) => `<div class="card"><div class="label">${label}</div><div class="value">${value}</div></div>`).join('')}</div>`;
}

function downloads(d: MirrorStatus['downloads']): string {
  const head = `<p class="muted">Upstream downloads: ${num('downloads.active', d.active)} running, ${num('downloads.queued', d.queued)} waiting for a slot.</p>`;
  if (d.inProgress.length === 0) return `${head}<p class="muted" id="downloads">No download into the cache in progress.</p>`;
  const rows = d.inProgress.map((x) => `<tr><td><code>${esc(short(x.digest))}</code></td><td class="wide">${bar(x.doneBytes, x.sizeBytes, `data-digest="${esc(x.digest)}"`)}</td><td>${formatBytes(x.doneBytes)} / ${formatBytes(x.sizeBytes)}</td></tr>`);
  return `${head}<table id="downloads"><tbody>${rows.join('')}</tbody></table>`;
}

function warmJobs(jobs: WarmJobReport[]): string {
  if (jobs.length === 0) return '<p class="muted" id="warm">No warm job yet (<code>lifec-mirror warm</code>, <code>POST /_lifec/warm</code>, <code>.warm</code>).</p>';
  const rows = jobs.flatMap((job) =>
    job.images.map((image, i) => {
      const jobCell = i === 0 ? `<td rowspan="${job.images.length}"><code>${esc(job.id)}</code><br><span class="state ${esc(job.state)}">${esc(job.state)}</span> <span class="muted">${esc(job.source)} · ${esc(time(job.createdAt))}</span></td>` : '';
      const state = image.error ? `<span class="error">${esc(image.error)}</span>` : `<span class="state ${esc(image.state)}">${esc(image.state)}</span>`;
      return `<tr>${jobCell}<td>${esc(image.reference)}${image.platforms.length ? `<br><span class="muted">${image.platforms.map(esc).join(', ')}</span>` : ''}</td><td class="wide">${bar(image.doneBytes, image.totalBytes, `data-image="${esc(image.reference)}" data-job="${esc(job.id)}"`)}</td><td>${formatBytes(image.doneBytes)} / ${formatBytes(image.totalBytes)}</td><td>${state}</td></tr>`;
    }),
  );
  return `<table id="warm"><thead><tr><th>job</th><th>image</th><th>progress</th><th>bytes</th><th>state</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function requests(list: MirrorStatus['requests']): string {
  if (list.length === 0) return '<p class="muted" id="requests">No request yet.</p>';
  const rows = list.map((r) => {
    const status = r.aborted ? `${r.status} (client left)` : String(r.status);
    return `<tr><td>${esc(time(r.time))}</td><td>${esc(r.method)}</td><td>${esc(r.registry)}</td><td>${esc(r.repository ?? '')}</td><td><code>${esc(short(r.reference))}</code></td><td class="${r.status >= 400 ? 'error' : ''}">${esc(status)}</td><td class="num">${formatBytes(r.bytes)}</td><td class="num">${r.ms}</td><td>${esc(r.source ?? '')}</td></tr>`;
  });
  return `<table id="requests"><thead><tr><th>time</th><th>method</th><th>registry</th><th>repository</th><th>reference</th><th>status</th><th>bytes</th><th>ms</th><th>from</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/**
 * The status page: one server-rendered HTML document with its style inline
 * and no script or external asset (it works offline and under a CSP of
 * `default-src 'none'`); `refreshSeconds` > 0 reloads it with a meta refresh.
 */
export function renderStatusPage(status: MirrorStatus, refreshSeconds: number): string {
  const refresh = refreshSeconds > 0 ? `<meta http-equiv="refresh" content="${refreshSeconds}">` : '';
  const facts = `version ${esc(status.version)} · up ${esc(duration(status.uptimeSeconds))} · RSS ${num('rssBytes', status.rssBytes, formatBytes(status.rssBytes))} · ${esc(status.now.replace('T', ' ').slice(0, 19))} UTC`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${refresh}
<title>lifec-mirror status</title><style>${STATUS_STYLE}</style></head>
<body><header><h1>lifec-mirror</h1><p>${facts}${refreshSeconds > 0 ? ` · refreshes every ${refreshSeconds} s` : ''} · <a href="status.json">status.json</a></p></header>
<main>
<section><h2>Registries</h2>${registries(status.registries)}</section>
<section><h2>Cache</h2>${cache(status.cache)}</section>
<section><h2>Throughput and hit ratio</h2>${renderChart(status.history)}</section>
<section><h2>Downloads in progress</h2>${downloads(status.downloads)}</section>
<section><h2>Warm jobs</h2>${warmJobs(status.warm)}</section>
<section><h2>Last ${status.requests.length} requests</h2>${requests(status.requests)}</section>
</main></body></html>
`;
}
