// Ingest: sources and their health, lines and events per source and service, dead letters with replay.
import { api, clear, errorBox, fmt, h, section, table, time, token, write } from './core.js';

export async function ingestPage(ctx) {
  const { main, poller } = ctx;
  document.title = 'Ingest · selfheal';
  const health = section('Components', 100);
  const totals = section('Lines and events', 140);
  const dead = section('Dead letters', 80);
  main.append(h('h1', { class: 'page-title' }, 'Ingest'), h('div', { class: 'grid2' }, health, totals), dead);

  let healthJson = '';
  async function loadHealth() {
    // /readyz answers 503 with the same body when something is not ready: show it either way.
    const res = await fetch('/readyz', { cache: 'no-store', headers: token() ? { Authorization: 'Bearer ' + token() } : {} });
    const r = await res.json();
    const json = JSON.stringify(r);
    if (json === healthJson) return;
    healthJson = json;
    if (!r.checks) return clear(health.body).append(errorBox(new Error(r.error || 'no answer')));
    clear(health.body).append(
      h('p', {}, r.ready ? 'Ready.' : 'Not ready.'),
      table(['component', 'status', 'running', 'last run', 'last error'], Object.entries(r.checks).map(([name, c]) => h('tr', {},
        h('td', {}, name), h('td', {}, h('span', { class: 'badge ' + (c.status === 'ok' ? 'ok' : 'bad') }, c.status)),
        h('td', {}, c.running === undefined ? '' : c.running ? 'yes' : 'no'), h('td', {}, time(c.last_run)), h('td', {}, c.last_error || '')))));
  }

  let statsJson = '';
  async function loadStats() {
    const s = await api('/api/v1/stats');
    const json = JSON.stringify(s);
    if (json === statsJson) return;
    statsJson = json;
    clear(totals.body).append(
      h('p', {}, `${fmt(s.totals.lines)} lines, ${fmt(s.totals.events)} events, ${fmt(s.totals.kept)} kept · ${fmt(s.fingerprints)} fingerprints · ${fmt(s.dead_letters)} dead letters`),
      table(['source', 'service', 'lines', 'events', 'kept'], s.by_source_service.map((r) => h('tr', {},
        h('td', {}, r.source), h('td', {}, r.service), h('td', { class: 'num' }, fmt(r.lines)), h('td', { class: 'num' }, fmt(r.events)), h('td', { class: 'num' }, fmt(r.kept))))));
  }

  let deadJson = '';
  async function loadDead() {
    const d = await api('/api/v1/dead-letters?limit=50');
    const json = JSON.stringify(d);
    if (json === deadJson) return;
    deadJson = json;
    clear(dead.body).append(table(['id', 'when', 'source', 'reason', 'bytes', 'first bytes', ''], d.items.map((x) => h('tr', {},
      h('td', { class: 'num' }, x.id), h('td', {}, time(x.ts)), h('td', {}, x.source), h('td', {}, x.reason), h('td', { class: 'num' }, fmt(x.size)),
      h('td', {}, h('code', { class: 'head' }, x.head_text)),
      h('td', {}, x.replayed ? 'replayed' : h('button', { type: 'button', on: { click: async () => {
        if (await write(`/api/v1/dead-letters/${x.id}/replay`, {}, `Dead letter ${x.id} replayed.`)) { deadJson = ''; await loadDead(); }
      } } }, 'Replay'))))));
  }

  for (const [el, fn] of [[health.body, loadHealth], [totals.body, loadStats], [dead.body, loadDead]]) {
    try { await fn(); } catch (e) { clear(el).append(errorBox(e)); }
  }
  poller.every(2000, async () => { await loadHealth(); await loadStats(); await loadDead(); });
  return null;
}
