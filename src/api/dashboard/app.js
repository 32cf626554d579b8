// Portrait dashboard: polls /v1/stats every 2 s for the live charts and /v1/namespaces every
// minute for the span of comments each namespace covers; looks users up through
// /v1/users/:id/{profile,history,similar}. The bearer token (if the API has one) is kept in
// sessionStorage and sent on every /v1 call. No innerHTML: user data goes through textContent.
import { barChart, fmt, lineChart } from './charts.js';

const POLL_MS = 2000;
const NAMESPACES_POLL_MS = 60_000;
const SPAN_MS = 5 * 60_000;
const TOKEN_KEY = 'portrait.token';
const $ = (id) => document.getElementById(id);

const series = { in: [], out: [], dlq: [], lag: [], p50: [], p95: [], ingest95: [] };

function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

async function api(path) {
  const t = token();
  const res = await fetch(path, { headers: t ? { Authorization: `Bearer ${t}` } : {} });
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  return { status: res.status, body };
}

function setStatus(text, cls) {
  const s = $('status');
  s.textContent = text;
  s.className = `status ${cls}`;
}

function push(list, t, v) {
  list.push({ t, v });
  while (list.length > 0 && list[0].t < t - SPAN_MS) list.shift();
}

function ms(v) {
  if (!Number.isFinite(v) || v <= 0) return '–';
  if (v >= 60_000) return `${(v / 60_000).toFixed(1)} min`;
  if (v >= 1000) return `${(v / 1000).toFixed(1)} s`;
  return `${Math.round(v)} ms`;
}

function renderStats(s) {
  const now = Date.now();
  const lagTotal = s.lag.reduce((n, g) => n + g.total, 0);
  push(series.in, now, s.throughput.eventsIn);
  push(series.out, now, s.throughput.profilesOut);
  push(series.dlq, now, s.throughput.deadLetters);
  if (s.lag.length > 0) push(series.lag, now, lagTotal);
  const e2p = s.latency.eventToProfile;
  if (e2p.count > 0) {
    push(series.p50, now, e2p.p50);
    push(series.p95, now, e2p.p95);
  }
  if (s.latency.ingestToProfile.count > 0) push(series.ingest95, now, s.latency.ingestToProfile.p95);

  $('kpi-rate').textContent = fmt(s.throughput.eventsIn);
  $('kpi-out').textContent = fmt(s.throughput.profilesOut);
  $('kpi-lag').textContent = s.lag.length > 0 ? fmt(lagTotal) : '–';
  $('kpi-p95').textContent = ms(e2p.p95);
  $('kpi-instances').textContent = String(s.instances.length);
  $('kpi-cache').textContent = s.cache.hitRate === null ? '–' : `${Math.round(s.cache.hitRate * 100)}%`;

  lineChart($('throughput-chart'), [
    { name: 'events in', color: '#2f6fed', points: series.in, area: true },
    { name: 'profiles out', color: '#16a34a', points: series.out },
    { name: 'dead letters', color: '#e5484d', points: series.dlq },
  ], { maxSpanMs: SPAN_MS, now });
  lineChart($('lag-chart'), [{ name: 'total lag', color: '#f59e0b', points: series.lag, area: true }], { maxSpanMs: SPAN_MS, now });
  lineChart($('latency-chart'), [
    { name: 'event→profile p50', color: '#2f6fed', points: series.p50 },
    { name: 'p95', color: '#7c3aed', points: series.p95 },
    { name: 'ingest→profile p95', color: '#16a34a', points: series.ingest95 },
  ], { maxSpanMs: SPAN_MS, now });

  const parts = $('lag-partitions');
  parts.replaceChildren();
  for (const g of s.lag) {
    for (const p of g.partitions) {
      const span = document.createElement('span');
      span.append(`p${p.partition} `);
      const b = document.createElement('b');
      b.textContent = fmt(p.lag);
      span.append(b);
      parts.append(span);
    }
  }
  const stages = $('stage-latency');
  stages.replaceChildren();
  for (const [name, p] of Object.entries(s.latency.stages)) {
    if (p.count === 0) continue;
    const span = document.createElement('span');
    span.append(`${name} p95 `);
    const b = document.createElement('b');
    b.textContent = ms(p.p95);
    span.append(b);
    stages.append(span);
  }
  $('models').textContent = s.models.length > 0
    ? `models: ${s.models.map((m) => `${m.embedder} · ${m.classifierKind} ${m.classifierVersion}`).join(' | ')}`
    : 'no processor is publishing stats in this namespace';
}

async function poll() {
  try {
    const r = await api('/v1/stats');
    if (r.status === 401) setStatus('token required', 'warn');
    else if (r.status !== 200) setStatus(`stats: HTTP ${r.status}`, 'bad');
    else {
      renderStats(r.body);
      setStatus(`live · ${r.body.namespace}`, 'ok');
    }
  } catch {
    setStatus('API unreachable', 'bad');
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

function showError(text) {
  const e = $('lookup-error');
  e.textContent = text;
  e.hidden = !text;
}

function renderProfile(p) {
  $('user-title').textContent = p.userId;
  $('user-meta').textContent = `version ${p.version} · ${p.commentCount} comments · updated ${new Date(p.updatedAt).toLocaleString()} · namespace ${p.namespace} · ${p.classifier.kind} ${p.classifier.version}`;
  barChart($('interest-chart'), p.interests.map((i) => ({ label: i.label, value: i.share, text: `${Math.round(i.share * 100)}% · ${i.score.toFixed(2)}` })));
  const terms = $('terms');
  terms.replaceChildren();
  for (const t of p.topTerms) {
    const li = document.createElement('li');
    li.textContent = t.term;
    const small = document.createElement('small');
    small.textContent = t.score.toFixed(1);
    li.append(small);
    terms.append(li);
  }
  const ev = $('evidence');
  ev.replaceChildren();
  for (const [label, ids] of Object.entries(p.evidence)) {
    if (ids.length === 0) continue;
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = ids.join(', ');
    ev.append(dt, dd);
  }
}

function renderHistory(h) {
  const body = $('history-table').querySelector('tbody');
  body.replaceChildren();
  const rows = h?.versions ?? [];
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 5;
    td.textContent = 'no history recorded';
    tr.append(td);
    body.append(tr);
  }
  for (const v of rows) {
    const tr = document.createElement('tr');
    const cells = [
      String(v.version),
      new Date(v.updatedAt).toLocaleString(),
      String(v.commentCount),
      v.interests.map((i) => `${i.label} ${Math.round(i.share * 100)}%`).join(', '),
      `${v.classifier.kind} ${v.classifier.version}`,
    ];
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = c;
      tr.append(td);
    }
    body.append(tr);
  }
}

function renderSimilar(r) {
  const list = $('similar-list');
  list.replaceChildren();
  if (r.status !== 200) {
    const li = document.createElement('li');
    li.textContent = r.body?.error?.message ?? `HTTP ${r.status}`;
    list.append(li);
    return;
  }
  for (const u of r.body.results) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.textContent = u.userId;
    a.addEventListener('click', () => lookup(u.userId));
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = u.score.toFixed(3);
    li.append(a, score);
    list.append(li);
  }
}

async function lookup(userId) {
  $('lookup-input').value = userId;
  showError('');
  const id = encodeURIComponent(userId);
  const [p, h, s] = await Promise.all([api(`/v1/users/${id}/profile`), api(`/v1/users/${id}/history`), api(`/v1/users/${id}/similar?k=10`)]);
  if (p.status !== 200) {
    $('user').hidden = true;
    showError(p.body?.error?.message ?? `HTTP ${p.status}`);
    return;
  }
  renderProfile(p.body);
  renderHistory(h.status === 200 ? h.body : null);
  renderSimilar(s);
  $('user').hidden = false;
  $('user').dataset.userId = userId;
}

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const v = $('token-input').value.trim();
  if (v) sessionStorage.setItem(TOKEN_KEY, v);
  else sessionStorage.removeItem(TOKEN_KEY);
  $('token-input').value = '';
  $('token-input').placeholder = v ? 'token set for this tab' : 'paste the bearer token (if any)';
  setStatus('connecting…', '');
  void loadNamespaces();
});
$('lookup-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const v = $('lookup-input').value;
  if (v) void lookup(v);
});
if (token()) $('token-input').placeholder = 'token set for this tab';
// each namespace and the span of comments its profiles cover (a rebuild may cover less: docs/operations.md)
function renderNamespaces(v) {
  const day = (iso) => (iso ? iso.slice(0, 10) : null);
  $('namespaces').textContent = v.namespaces.length === 0
    ? ''
    : `namespaces: ${v.namespaces
      .map((n) => `${n.namespace}${n.active ? ' (active)' : ''} · ${n.profiles} profiles${n.oldestFirstSeen ? ` · comments ${day(n.oldestFirstSeen)} → ${day(n.newestLastSeen)}` : ''}`)
      .join(' | ')}`;
}

async function loadNamespaces() {
  try {
    const r = await api('/v1/namespaces');
    if (r.status === 200) renderNamespaces(r.body);
  } catch {
    // the stats poll reports an unreachable API
  }
}

async function pollNamespaces() {
  await loadNamespaces();
  setTimeout(pollNamespaces, NAMESPACES_POLL_MS);
}

void poll();
void pollNamespaces();
