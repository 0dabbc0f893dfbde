/**
 * The console's page: one HTML document with its style and script inline, shipped in the
 * package (no CDN, no build step for the user). It reads and writes through the JSON API
 * beside it (`./api`), with the browser's own HTTP Basic login; writes carry the console's
 * header. Views: the jobs (`#/`), one job (`#/jobs/{name}`), the servers (`#/servers`), the live
 * fires of this app's jobs (`#/live`), the history (`#/history`, when the app keeps one).
 */
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ElasticJob console</title>
<style>
  :root { color-scheme: light dark; --fg: #1b1f24; --muted: #5b6572; --line: #d5dae1; --bg: #fff; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --accent: #0b5cad; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9aa4b0; --line: #30363d; --bg: #0d1117; --accent: #4493f8; } }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
  header { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: baseline; padding: .75rem 1rem; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 1.1rem; margin: 0; }
  nav a { margin-right: 1rem; color: var(--accent); }
  main { padding: 1rem; max-width: 72rem; }
  .who { margin-left: auto; color: var(--muted); font-size: .9rem; }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.25rem; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { font-weight: 600; color: var(--muted); font-size: .85rem; }
  .status { font-weight: 600; }
  .OK, .PENDING, .succeeded { color: var(--ok); }
  .SHARDING_FLAG, .RUNNING, .running { color: var(--warn); }
  .CRASHED, .DISABLED, .failed { color: var(--bad); }
  button { font: inherit; padding: .25rem .7rem; border: 1px solid var(--line); border-radius: 6px; background: transparent; color: var(--fg); cursor: pointer; }
  button:hover { border-color: var(--accent); }
  input { font: inherit; padding: .25rem .4rem; border: 1px solid var(--line); border-radius: 6px; background: transparent; color: var(--fg); min-width: 14rem; }
  form.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .5rem 1rem; align-items: end; margin: .5rem 0 1rem; }
  form.grid label { display: flex; flex-direction: column; gap: .15rem; font-size: .85rem; color: var(--muted); }
  form.grid input[type=checkbox] { min-width: 0; width: 1.1rem; height: 1.1rem; }
  form.grid input { min-width: 0; }
  button.danger { border-color: var(--bad); color: var(--bad); }
  p.actions { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; }
  p.actions input { min-width: 12rem; }
  #message { min-height: 1.5rem; }
  #message.error { color: var(--bad); }
  pre { white-space: pre-wrap; font-size: .8rem; margin: .25rem 0; }
  .muted { color: var(--muted); }
</style>
</head>
<body>
<header>
  <h1>ElasticJob console</h1>
  <nav aria-label="Views"><a href="#/">Jobs</a><a href="#/servers">Servers</a><a href="#/live" id="nav-live">Live</a><a href="#/history" id="nav-history">History</a></nav>
  <span class="who" id="who"></span>
</header>
<main>
  <div id="message" role="status" aria-live="polite"></div>
  <div id="view">Loading…</div>
</main>
<script>
(() => {
  // The API beside the page, whether the page was asked for with a trailing "/" or not.
  const api = (location.pathname.endsWith('/') ? location.pathname : location.pathname + '/') + 'api';
  let me = { role: 'guest' };
  const view = document.getElementById('view');
  const message = document.getElementById('message');
  const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const say = (text, error) => { message.textContent = text || ''; message.className = error ? 'error' : ''; };

  async function call(method, path, body) {
    const headers = {};
    if (method !== 'GET') headers['x-elastic-job-console'] = '1';
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
    const text = await response.text();
    const data = text ? JSON.parse(text) : undefined;
    if (!response.ok) throw new Error((data && data.message) || response.status + ' ' + response.statusText);
    return data;
  }

  const admin = () => me.role === 'admin';

  const when = (time) => time ? new Date(time).toLocaleString() : '';
  const percent = (rate) => rate === undefined || rate === null ? '' : (Math.round(rate * 1000) / 10) + '%';
  const zoneOf = (job) => job.timeZone || 'server zone';

  async function jobsView() {
    const jobs = await call('GET', '/jobs');
    const history = me.history;
    view.innerHTML = '<h2>Jobs <span class="muted">in ' + esc(me.namespace) + '</span></h2><div class="scroll"><table><thead><tr><th scope="col">Job</th><th scope="col">Status</th><th scope="col">Cron</th><th scope="col">Next fire</th><th scope="col">Items</th><th scope="col">Instances</th><th scope="col">Leader</th>' +
      (history ? '<th scope="col">Runs (24 h)</th><th scope="col">Success</th><th scope="col">Last run</th>' : '') + '<th scope="col">Description</th></tr></thead><tbody>' +
      jobs.map((job) => '<tr><td><a href="#/jobs/' + encodeURIComponent(job.jobName) + '">' + esc(job.jobName) + '</a></td><td class="status ' + esc(job.status) + '">' + esc(job.status) + '</td><td><code>' + esc(job.cron) + '</code>' + (job.problem ? ' <span class="failed" title="' + esc(job.problem) + '">invalid</span>' : '') + '</td>' +
        '<td>' + (job.nextFireTimes.length ? esc(job.nextFireTimes[0].local) + ' <span class="muted">' + esc(zoneOf(job)) + '</span>' : '<span class="muted">none</span>') + '</td><td>' + job.shardingTotalCount + '</td><td>' + job.instanceCount + '</td><td>' + esc(job.leader) + '</td>' +
        (history ? '<td>' + (job.lastDay ? job.lastDay.runs : 0) + '</td><td class="' + (job.lastDay && job.lastDay.failures ? 'failed' : 'succeeded') + '">' + percent(job.lastDay && job.lastDay.successRate) + '</td><td>' + esc(when(job.lastDay && job.lastDay.lastStartTime)) + '</td>' : '') +
        '<td>' + esc(job.description) + '</td></tr>').join('') +
      '</tbody></table></div>' + (jobs.length === 0 ? '<p class="muted">No jobs.</p>' : '');
  }

  // The fields the configuration form edits: [field, label, kind].
  const FIELDS = [['cron', 'Cron', 'text'], ['timeZone', 'Time zone', 'text'], ['shardingTotalCount', 'Items', 'number'], ['shardingItemParameters', 'Item parameters', 'text'], ['jobParameter', 'Job parameter', 'text'], ['description', 'Description', 'text'], ['failover', 'Failover', 'check'], ['misfire', 'Misfire', 'check'], ['monitorExecution', 'Monitor execution', 'check'], ['disabled', 'Disabled', 'check']];

  async function jobView(name) {
    const job = await call('GET', '/jobs/' + encodeURIComponent(name));
    const write = admin();
    const path = '/jobs/' + encodeURIComponent(name);
    const config = job.configuration;
    const items = job.items.map((item) => '<tr><td>' + item.item + '</td><td class="status ' + esc(item.status) + '">' + esc(item.status) + (item.failover ? ' (failover)' : '') + '</td><td>' + esc(item.instanceId) + '</td>' +
      (write ? '<td><button data-action="' + (item.status === 'DISABLED' ? 'enable' : 'disable') + '" data-item="' + item.item + '">' + (item.status === 'DISABLED' ? 'Enable' : 'Disable') + ' item ' + item.item + '</button></td>' : '') + '</tr>').join('');
    const servers = job.servers.map((server) => '<tr><td>' + esc(server.serverIp) + '</td><td class="' + (server.enabled ? 'OK' : 'DISABLED') + '">' + (server.enabled ? 'enabled' : 'disabled') + '</td><td>' + esc(server.instances.join(', ')) + '</td>' +
      (write ? '<td><button data-server="' + esc(server.serverIp) + '" data-action="' + (server.enabled ? 'disable' : 'enable') + '">' + (server.enabled ? 'Disable' : 'Enable') + ' server ' + esc(server.serverIp) + '</button></td>' : '') + '</tr>').join('');
    const instances = job.instances.map((instance) => '<tr><td>' + esc(instance.instanceId) + (instance.leader ? ' <strong>(leader)</strong>' : '') + '</td><td>' + esc(instance.serverIp) + (instance.serverEnabled ? '' : ' <span class="DISABLED">disabled</span>') + '</td><td>' + esc(instance.items.join(', ')) + '</td>' +
      (write ? '<td><button data-instance="' + esc(instance.instanceId) + '">Shut down ' + esc(instance.instanceId) + '</button></td>' : '') + '</tr>').join('');
    const form = FIELDS.map(([field, label, kind]) => '<label>' + esc(label) + ' ' + (kind === 'check'
      ? '<input type="checkbox" name="' + field + '"' + (config[field] ? ' checked' : '') + '>'
      : '<input name="' + field + '" id="' + (field === 'cron' ? 'cron-input' : 'field-' + field) + '"' + (kind === 'number' ? ' type="number"' : '') + ' value="' + esc(config[field]) + '">') + '</label>').join('');
    const next = job.brief.nextFireTimes.map((fire) => esc(fire.local)).join(', ');
    view.innerHTML = '<h2>' + esc(name) + ' <span class="status ' + esc(job.brief.status) + '">' + esc(job.brief.status) + '</span></h2>' +
      (job.brief.problem ? '<p class="failed">' + esc(job.brief.problem) + '</p>' : '') +
      '<p>Cron <code id="cron">' + esc(config.cron) + '</code> (' + esc(zoneOf(job.brief)) + '), ' + config.shardingTotalCount + ' items, failover ' + (config.failover ? 'on' : 'off') + '. ' +
      (next ? 'Next fires: ' + next + '.' : 'No next fire.') + (job.brief.jobClass ? ' <span class="muted">' + esc(job.brief.jobClass) + '</span>' : '') + '</p>' +
      (write ? '<p class="actions"><button id="trigger">Trigger now</button> <label>with job parameter <input id="trigger-parameter" placeholder="(the configured one)"></label></p><details><summary>Edit configuration</summary><form class="grid" id="config-form">' + form + '<button type="submit">Save configuration</button></form></details>' : '') +
      '<h3>Items</h3><div class="scroll"><table><thead><tr><th scope="col">Item</th><th scope="col">Status</th><th scope="col">Instance</th>' + (write ? '<th scope="col">Action</th>' : '') + '</tr></thead><tbody>' + items + '</tbody></table></div>' +
      '<h3>Instances</h3><div class="scroll"><table><thead><tr><th scope="col">Instance</th><th scope="col">Server</th><th scope="col">Items</th>' + (write ? '<th scope="col">Action</th>' : '') + '</tr></thead><tbody>' + instances + '</tbody></table></div>' +
      '<h3>Servers</h3><div class="scroll"><table><thead><tr><th scope="col">Server</th><th scope="col">Status</th><th scope="col">Instances</th>' + (write ? '<th scope="col">Action</th>' : '') + '</tr></thead><tbody>' + servers + '</tbody></table></div>' +
      (me.history ? '<p><a href="#/history?jobName=' + encodeURIComponent(name) + '">History of ' + esc(name) + '</a></p>' : '') +
      (write ? '<p><button id="remove" class="danger">Remove job ' + esc(name) + '</button> <span class="muted">(only once it has no live instance)</span></p>' : '');
    if (!write) return;
    document.getElementById('trigger').onclick = () => {
      const jobParameter = document.getElementById('trigger-parameter').value;
      act(() => call('POST', path + '/trigger', jobParameter ? { jobParameter } : undefined), 'Triggered ' + name + (jobParameter ? ' with job parameter ' + jobParameter : '') + '.');
    };
    document.getElementById('config-form').onsubmit = (event) => {
      event.preventDefault();
      const changes = {};
      for (const [field, , kind] of FIELDS) {
        const input = event.target.elements[field];
        const value = kind === 'check' ? input.checked : kind === 'number' ? Number(input.value) : input.value.trim();
        if (value !== (config[field] ?? '')) changes[field] = value;
      }
      if (Object.keys(changes).length === 0) return say('Nothing changed.');
      act(() => call('PATCH', path + '/configuration', changes), 'Configuration of ' + name + ' saved: ' + Object.keys(changes).join(', ') + '.');
    };
    document.getElementById('remove').onclick = () => {
      if (confirm('Remove job ' + name + ' and everything it has in ZooKeeper?')) act(() => call('DELETE', path), 'Removed ' + name + '.', '#/');
    };
    for (const button of view.querySelectorAll('button[data-server]')) {
      button.onclick = () => act(() => call('POST', path + '/servers/' + encodeURIComponent(button.dataset.server) + '/' + button.dataset.action), 'Server ' + button.dataset.server + ' ' + button.dataset.action + 'd for ' + name + '.');
    }
    for (const button of view.querySelectorAll('button[data-item]')) {
      button.onclick = () => act(() => call('POST', path + '/items/' + button.dataset.item + '/' + button.dataset.action), 'Item ' + button.dataset.item + ' ' + button.dataset.action + 'd.');
    }
    for (const button of view.querySelectorAll('button[data-instance]')) {
      button.onclick = () => {
        if (confirm('Shut down job ' + name + ' on ' + button.dataset.instance + '? It stops there until that app restarts.')) act(() => call('POST', path + '/instances/' + encodeURIComponent(button.dataset.instance) + '/shutdown'), 'Shut down ' + name + ' on ' + button.dataset.instance + '.');
      };
    }
  }

  let live;
  function liveView() {
    const fires = [];
    view.innerHTML = '<h2>Live</h2><p class="muted">Every fire as it comes: item:instance for each item; ✓ or ✗ for the items this instance ran.</p><ol id="fires" reversed></ol>';
    const list = document.getElementById('fires');
    const key = (data) => data.job + '@' + data.fireTime + '@' + data.source;
    const draw = () => {
      list.innerHTML = fires.map((fire) => '<li><span class="muted">' + esc(new Date(fire.fireTime).toLocaleTimeString()) + '</span> <strong>' + esc(fire.job) + '</strong>' + (fire.source === 'NORMAL_TRIGGER' ? '' : ' <em>' + esc(fire.source === 'MANUAL' ? 'trigger' : fire.source) + '</em>') + (fire.jobParameter === undefined ? '' : ' <code>' + esc(fire.jobParameter) + '</code>') + ' ' +
        Object.keys(fire.owners).map((item) => { const status = fire.outcomes[item]; return '<span class="' + (status ? (status === 'SUCCEEDED' ? 'succeeded' : 'failed') : '') + '">' + esc(item + ':' + fire.owners[item]) + (status ? (status === 'SUCCEEDED' ? ' ✓' : ' ✗') : '') + '</span>'; }).join(' ') + '</li>').join('');
    };
    live = new EventSource(api + '/fires');
    live.addEventListener('ready', () => list.setAttribute('data-live', 'ready'));
    live.addEventListener('fire', (message) => {
      const data = JSON.parse(message.data);
      fires.unshift({ ...data, outcomes: {} });
      fires.splice(30);
      draw();
    });
    live.addEventListener('outcome', (message) => {
      const data = JSON.parse(message.data);
      const fire = fires.find((candidate) => key(candidate) === key(data));
      if (!fire) return;
      for (const result of data.items) fire.outcomes[result.item] = result.status;
      draw();
    });
  }

  async function serversView() {
    const servers = await call('GET', '/servers');
    view.innerHTML = '<h2>Servers</h2><div class="scroll"><table><thead><tr><th scope="col">Server</th><th scope="col">Instances</th><th scope="col">Jobs</th><th scope="col">Disabled jobs</th></tr></thead><tbody>' +
      servers.map((server) => '<tr><td>' + esc(server.serverIp) + '</td><td>' + esc(server.instances.join(', ')) + '</td><td>' + server.jobs.map((job) => '<a href="#/jobs/' + encodeURIComponent(job) + '">' + esc(job) + '</a>').join(', ') + '</td><td class="DISABLED">' + esc(server.disabledJobs.join(', ')) + '</td></tr>').join('') +
      '</tbody></table></div>';
  }

  async function historyView(params) {
    const query = new URLSearchParams(params);
    if (!query.get('limit')) query.set('limit', '50');
    const page = await call('GET', '/history/executions?' + query.toString());
    const rows = page.rows.map((run) => '<tr><td>' + esc(run.jobName) + '</td><td>' + run.item + '</td><td>' + esc(run.source) + '</td><td class="' + esc(run.outcome) + '">' + esc(run.outcome) + '</td><td>' + esc(run.startTime ? new Date(run.startTime).toLocaleString() : '') + '</td><td>' + (run.durationMs ?? '') + '</td><td>' + esc(run.ip) + '</td><td>' +
      (run.failureCause ? '<details><summary>Cause</summary><pre>' + esc(run.failureCause) + '</pre></details>' : '') + '</td></tr>').join('');
    view.innerHTML = '<h2>History' + (query.get('jobName') ? ' of ' + esc(query.get('jobName')) : '') + '</h2><p class="muted">' + page.total + ' runs, newest first.</p>' +
      '<div class="scroll"><table><thead><tr><th scope="col">Job</th><th scope="col">Item</th><th scope="col">Source</th><th scope="col">Outcome</th><th scope="col">Started</th><th scope="col">ms</th><th scope="col">IP</th><th scope="col">Failure</th></tr></thead><tbody>' + rows + '</tbody></table></div>';
  }

  async function act(work, done, then) {
    try {
      await work();
      say(done);
      if (then && location.hash !== then) { keepMessage = true; location.hash = then; }
      else await route();
    } catch (error) {
      say(error.message, true);
    }
  }

  async function route() {
    if (live) { live.close(); live = undefined; }
    const hash = location.hash.slice(1) || '/';
    const [path, search] = hash.split('?');
    try {
      if (path.startsWith('/jobs/')) await jobView(decodeURIComponent(path.slice(6)));
      else if (path === '/history') await historyView(search || '');
      else if (path === '/servers') await serversView();
      else if (path === '/live') liveView();
      else await jobsView();
    } catch (error) {
      view.textContent = '';
      say(error.message, true);
    }
  }

  let keepMessage = false;
  window.addEventListener('hashchange', () => { if (!keepMessage) say(''); keepMessage = false; route(); });
  call('GET', '/me').then((who) => {
    me = who;
    document.getElementById('who').textContent = (who.name ? who.name + ' (' + who.role + ')' : who.role) + ' · ' + who.namespace;
    // The history needs the execution log; the live view shows this app's own jobs.
    if (!who.history) document.getElementById('nav-history').remove();
    if (who.localJobs.length === 0) document.getElementById('nav-live').remove();
  }).catch(() => undefined).finally(route);
})();
</script>
</body>
</html>
`;
