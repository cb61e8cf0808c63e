/**
 * The dashboard's one page: plain HTML, CSS and a script that polls `/api/overview` every
 * second and draws the charts as inline SVG. No front-end framework, nothing fetched from
 * elsewhere. A token, when the dashboard has one, comes in the URL's #fragment.
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keepsync</title>
<style>
  :root { --fg: #1d2430; --muted: #6b7280; --line: #e5e7eb; --bg: #f8fafc; --card: #fff;
    --ok: #15803d; --run: #2563eb; --warn: #b45309; --bad: #b91c1c; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
  header { display: flex; align-items: baseline; gap: 16px; padding: 14px 24px; background: #111827; color: #f9fafb; }
  header h1 { margin: 0; font-size: 18px; }
  header .meta { color: #9ca3af; font-size: 13px; }
  main { padding: 16px 24px; display: grid; gap: 16px; }
  section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
  h2 { margin: 0 0 8px; font-size: 16px; display: flex; gap: 8px; align-items: center; }
  h2 .kind { font-size: 11px; font-weight: 500; color: var(--muted); border: 1px solid var(--line); border-radius: 10px; padding: 0 8px; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 6px 8px; border-top: 1px solid var(--line); vertical-align: top; }
  th { font-size: 12px; color: var(--muted); font-weight: 500; border-top: 0; }
  .badge { display: inline-block; font-size: 12px; font-weight: 600; border-radius: 10px; padding: 1px 8px; color: #fff; background: var(--muted); }
  .badge.running { background: var(--run); } .badge.scheduled { background: var(--ok); }
  .badge.paused, .badge.stale-lease { background: var(--warn); } .badge.failing { background: var(--bad); }
  .detail { color: var(--muted); font-size: 12px; }
  .error { color: var(--bad); font-size: 12px; max-width: 420px; overflow-wrap: anywhere; }
  progress { width: 160px; height: 10px; vertical-align: middle; }
  button { font: inherit; font-size: 12px; padding: 3px 10px; border-radius: 6px; border: 1px solid #cbd5e1; background: #fff; cursor: pointer; }
  button:hover { background: #f1f5f9; }
  .charts { display: flex; gap: 24px; flex-wrap: wrap; margin-top: 10px; }
  .chart .title { font-size: 12px; color: var(--muted); }
  svg .read { fill: #93c5fd; } svg .failed-run { fill: #fca5a5; } svg .duration { fill: none; stroke: #7c3aed; stroke-width: 2; }
  svg text { font-size: 10px; fill: var(--muted); }
  #tasks { display: grid; gap: 16px; }
  #message { color: var(--run); } #message:empty { display: none; }
  #message.bad { color: var(--bad); }
  .empty { color: var(--muted); }
</style>
</head>
<body>
<header><h1>keepsync</h1><span class="meta" id="meta">loading…</span></header>
<main>
  <div id="message" role="status"></div>
  <div id="tasks"></div>
  <section><h2>Dead letters</h2><div id="dead-letters"></div></section>
  <section><h2>Open conflicts</h2><div id="conflicts"></div></section>
</main>
<script>
(function () {
  var token = new URLSearchParams(location.hash.slice(1)).get('token');
  var auth = token ? { authorization: 'Bearer ' + token } : {};

  function esc(value) {
    return String(value === null || value === undefined ? '' : value).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function ago(iso, now) {
    if (!iso) return '-';
    var s = Math.round((new Date(iso) - new Date(now)) / 1000);
    var a = Math.abs(s);
    var text = a < 60 ? a + ' s' : a < 3600 ? Math.round(a / 60) + ' min' : Math.round(a / 3600) + ' h';
    return '<span title="' + esc(iso) + '">' + (s >= 0 ? 'in ' + text : text + ' ago') + '</span>';
  }
  function seconds(ms) { return ms === null ? '-' : ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(1) + ' s'; }

  async function api(path, body) {
    var init = body === undefined ? { headers: auth } : {
      method: 'POST', headers: Object.assign({ 'content-type': 'application/json' }, auth), body: JSON.stringify(body)
    };
    var response = await fetch(path, init);
    var json = await response.json();
    if (!response.ok) throw new Error(json.error || response.statusText);
    return json;
  }
  function say(text, bad) {
    var el = document.getElementById('message');
    el.textContent = text;
    el.className = bad ? 'bad' : '';
  }

  function stateCell(unit, now) {
    var phase = unit.phase;
    var detail = '';
    if (phase === 'paused') detail = esc(unit.pausedReason || 'no reason given');
    else if (phase === 'running' || phase === 'leased' || phase === 'stale-lease')
      detail = 'on ' + esc(unit.leaseOwner || 'this engine') + (unit.leaseSince ? ' since ' + ago(unit.leaseSince, now) : '');
    else if (phase === 'failing') detail = 'retrying on its backoff';
    else if (unit.syncRequested) detail = 'sync requested';
    return '<span class="badge ' + esc(phase) + '">' + esc(phase.replace('-', ' ')) + '</span>' +
      (detail ? '<div class="detail state-detail">' + detail + '</div>' : '');
  }
  function progressCell(unit) {
    var r = unit.running;
    if (!r) return '<span class="empty">-</span>';
    var read = r.stats.read;
    var text = r.expectedTotal ? read + ' of ' + r.expectedTotal + ' read' : read + ' read so far';
    var bar = r.expectedTotal ? '<progress max="' + r.expectedTotal + '" value="' + read + '"></progress> ' : '';
    return '<div class="progress">' + bar + esc(text) + '</div><div class="detail">' + esc(r.wrote) + '</div>';
  }
  function lastRunCell(unit, now) {
    var run = unit.lastRun;
    if (!run) return '<span class="empty">never</span>';
    var verify = unit.lastVerify
      ? '<div class="detail verify">verified ' + ago(unit.lastVerify.startedAt, now) + ': ' + esc(unit.lastVerify.wrote) + '</div>'
      : '';
    return esc(run.status) + ' ' + ago(run.startedAt, now) + '<div class="detail">' + esc(run.wrote) + ', ' + seconds(run.durationMs) + '</div>' + verify;
  }
  function actions(task, unit) {
    var attrs = ' data-task="' + esc(task.name) + '" data-unit="' + esc(unit.unit) + '"';
    var toggle = unit.phase === 'paused'
      ? '<button data-action="resume"' + attrs + '>Resume</button>'
      : '<button data-action="pause"' + attrs + '>Pause</button>';
    return '<button data-action="sync"' + attrs + '>Sync now</button> ' + toggle;
  }

  function chart(runs, value, label, kind) {
    var w = 320, h = 70, n = Math.max(runs.length, 1), max = 0;
    runs.forEach(function (run) { max = Math.max(max, value(run) || 0); });
    var step = w / n, parts = [];
    if (kind === 'bars') {
      runs.forEach(function (run, i) {
        var v = value(run) || 0, bh = max ? Math.max(1, (v / max) * (h - 12)) : 1;
        parts.push('<rect class="' + (run.status === 'succeeded' ? 'read' : 'failed-run') + '" x="' + (i * step + 1).toFixed(1) +
          '" y="' + (h - bh).toFixed(1) + '" width="' + Math.max(1, step - 2).toFixed(1) + '" height="' + bh.toFixed(1) +
          '"><title>run ' + run.id + ': ' + v + '</title></rect>');
      });
    } else {
      var points = runs.map(function (run, i) {
        var v = value(run) || 0;
        return (i * step + step / 2).toFixed(1) + ',' + (h - (max ? (v / max) * (h - 12) : 0)).toFixed(1);
      });
      parts.push('<polyline class="duration" points="' + points.join(' ') + '"></polyline>');
    }
    parts.push('<text x="0" y="9">max ' + esc(kind === 'bars' ? max : seconds(max)) + '</text>');
    return '<div class="chart"><div class="title">' + esc(label) + '</div><svg width="' + w + '" height="' + h +
      '" viewBox="0 0 ' + w + ' ' + h + '" role="img" aria-label="' + esc(label) + '">' + parts.join('') + '</svg></div>';
  }

  function renderTask(task, now) {
    var rows = task.units.map(function (unit) {
      var error = unit.lastRun && unit.lastRun.error ? '<div class="error">' + esc(unit.lastRun.error) + '</div>' : '';
      return '<tr data-unit="' + esc(task.name + '/' + unit.unit) + '" data-phase="' + esc(unit.phase) + '">' +
        '<td>' + esc(unit.unit) + '</td><td class="state">' + stateCell(unit, now) + '</td><td>' + progressCell(unit) + '</td>' +
        '<td>' + lastRunCell(unit, now) + error + '</td><td>' + (unit.phase === 'paused' || unit.phase === 'running' ? '-' : ago(unit.nextRunAt, now)) + '</td>' +
        '<td>' + actions(task, unit) + '</td></tr>';
    }).join('');
    var runs = task.runs;
    var charts = runs.length
      ? '<div class="charts">' + chart(runs, function (r) { return r.stats.read; }, 'records read per run (last ' + runs.length + ')', 'bars') +
        chart(runs, function (r) { return r.durationMs; }, 'run duration', 'line') + '</div>'
      : '<div class="detail">no finished runs yet</div>';
    return '<section class="task" data-task="' + esc(task.name) + '"><h2>' + esc(task.name) + ' <span class="kind">' + esc(task.kind) +
      '</span></h2><table><thead><tr><th>unit</th><th>state</th><th>progress</th><th>last run</th><th>next run</th><th></th></tr></thead><tbody>' +
      (rows || '<tr><td colspan="6" class="empty">no units yet</td></tr>') + '</tbody></table>' + charts + '</section>';
  }

  function renderDeadLetters(letters, now) {
    if (!letters.length) return '<div class="empty">none</div>';
    return '<table><thead><tr><th>pipeline</th><th>unit</th><th>key</th><th>attempts</th><th>last failed</th><th>error</th><th></th></tr></thead><tbody>' +
      letters.map(function (l) {
        return '<tr data-dead-letter="' + esc(l.pipeline + '/' + l.key) + '"><td>' + esc(l.pipeline) + '</td><td>' + esc(l.unit) + '</td><td>' + esc(l.key) +
          '</td><td>' + l.attempts + '</td><td>' + ago(l.lastFailedAt, now) + '</td><td class="error">' + esc(l.error) +
          '</td><td><button data-action="retry" data-task="' + esc(l.pipeline) + '" data-unit="' + esc(l.unit) + '">Retry</button></td></tr>';
      }).join('') + '</tbody></table>';
  }
  function renderConflicts(conflicts, now) {
    if (!conflicts.length) return '<div class="empty">none</div>';
    return '<table><thead><tr><th>task</th><th>keys</th><th>field</th><th>left</th><th>right</th><th>detected</th><th></th></tr></thead><tbody>' +
      conflicts.map(function (c) {
        var decide = c.state === 'open'
          ? '<button data-action="take-left" data-id="' + c.id + '">Take left</button> <button data-action="take-right" data-id="' + c.id + '">Take right</button>'
          : esc(c.state);
        return '<tr data-conflict="' + c.id + '"><td>' + esc(c.task) + '</td><td>' + esc((c.leftKey || '-') + ' / ' + (c.rightKey || '-')) + '</td><td>' + esc(c.field) +
          '</td><td>' + esc(JSON.stringify(c.leftValue)) + '</td><td>' + esc(JSON.stringify(c.rightValue)) + '</td><td>' + ago(c.detectedAt, now) + '</td><td>' + decide + '</td></tr>';
      }).join('') + '</tbody></table>';
  }

  function render(overview) {
    var now = overview.now;
    document.getElementById('meta').textContent = (overview.engine ? 'engine ' + overview.engine : 'reading the store (no engine in this process)') +
      ' · updated ' + new Date(now).toLocaleTimeString();
    document.getElementById('tasks').innerHTML = overview.tasks.map(function (task) { return renderTask(task, now); }).join('');
    document.getElementById('dead-letters').innerHTML = renderDeadLetters(overview.deadLetters, now);
    document.getElementById('conflicts').innerHTML = renderConflicts(overview.conflicts, now);
    document.body.dataset.loaded = 'true';
  }

  async function refresh() {
    try { render(await api('/api/overview')); }
    catch (error) { say('Could not load the overview: ' + error.message, true); }
  }

  document.addEventListener('click', async function (event) {
    var button = event.target.closest('button[data-action]');
    if (!button) return;
    var d = button.dataset, path = '/api/tasks/' + encodeURIComponent(d.task || '');
    try {
      if (d.action === 'sync') { await api(path + '/sync', { unit: d.unit }); say('Sync requested for ' + d.task + '/' + d.unit); }
      else if (d.action === 'pause') {
        var reason = window.prompt('Why pause ' + d.task + '/' + d.unit + '? (shown on the dashboard and in status)', 'paused from the dashboard');
        if (reason === null) return;
        await api(path + '/pause', reason ? { unit: d.unit, reason: reason } : { unit: d.unit });
        say('Paused ' + d.task + '/' + d.unit);
      }
      else if (d.action === 'resume') { await api(path + '/resume', { unit: d.unit }); say('Resumed ' + d.task + '/' + d.unit + '; it runs at once'); }
      else if (d.action === 'retry') {
        var result = await api(path + '/dead-letters/retry', { unit: d.unit });
        say('Re-reading ' + result.requested.map(function (r) { return r.keys.length; }).reduce(function (a, b) { return a + b; }, 0) + ' key(s) of ' + d.task + ' from the source');
      }
      else if (d.action === 'take-left' || d.action === 'take-right') {
        await api('/api/conflicts/' + d.id + '/resolve', { take: d.action === 'take-left' ? 'left' : 'right' });
        say('Conflict ' + d.id + ' decided; the next run applies it');
      }
    } catch (error) { say(error.message, true); }
    refresh();
  });

  refresh();
  setInterval(refresh, 1000);
})();
</script>
</body>
</html>
`;
