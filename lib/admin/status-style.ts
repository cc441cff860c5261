/** The status page's whole style sheet, inline: the page loads nothing else. Light and dark follow the system. */
export const STATUS_STYLE = `
:root{--bg:#f7f7f8;--fg:#1d1f23;--muted:#6b7079;--card:#fff;--line:#e2e4e8;--accent:#2f6fde;--ok:#1f8a4c;--warn:#b7791f;--bad:#c53030;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#16181c;--fg:#e6e7ea;--muted:#9aa0aa;--card:#1f2228;--line:#30343c;--accent:#6b9cf0}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{padding:14px 24px;border-bottom:1px solid var(--line);background:var(--card)}header h1{margin:0;font-size:20px}header p{margin:2px 0 0;color:var(--muted)}
a{color:var(--accent)}main{padding:8px 24px 32px;max-width:1280px}h2{font-size:15px;margin:22px 0 8px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
table{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:6px;overflow:hidden}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}th{font-weight:600;color:var(--muted);font-size:12px}
tr:last-child td{border-bottom:0}td.num{text-align:right;font-variant-numeric:tabular-nums}td.wide{width:35%;vertical-align:middle}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}.muted{color:var(--muted)}.error{color:var(--bad)}
.tag{font-size:11px;padding:1px 6px;border-radius:8px;background:var(--line)}
.state{font-weight:600}.state.closed,.state.done{color:var(--ok)}.state.half-open,.state.running,.state.fetching,.state.resolving,.state.queued{color:var(--warn)}.state.open,.state.failed,.state.canceled{color:var(--bad)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px 12px}.card .label{color:var(--muted);font-size:12px}
.card .value{font-size:18px;font-weight:600;font-variant-numeric:tabular-nums}.card small{display:block;font-size:12px;font-weight:400;color:var(--muted)}
.bar{height:10px;background:var(--line);border-radius:5px;overflow:hidden;margin-top:4px}.bar span{display:block;height:100%;background:var(--accent)}
.chart{width:100%;max-width:760px;height:auto;background:var(--card);border:1px solid var(--line);border-radius:6px}
.chart .throughput{fill:var(--accent);opacity:.35}.chart .ratio{fill:none;stroke:var(--ok);stroke-width:2}.chart .axis{stroke:var(--muted)}.chart .grid{stroke:var(--line);stroke-dasharray:4 4}
.chart .label{font-size:11px;fill:var(--muted)}.chart .end{text-anchor:end}
`;
