// Ingest: sources and their health, lines and events per source and service, dead letters with replay.
import { fmt, h, liveView, section, table, time, write } from './core.js';

export async function ingestPage(ctx) {
  const { main, poller } = ctx;
  document.title = 'Ingest · selfheal';
  const health = section('Components', 100);
  const totals = section('Lines and events', 140);
  const dead = section('Dead letters', 80);
  main.append(h('h1', { class: 'page-title' }, 'Ingest'), h('div', { class: 'grid2' }, health, totals), dead);

  // /readyz answers 503 with the same body when something is not ready: shown either way.
  const loadHealth = liveView(health.body, '/readyz', (r) => h('div', {},
    h('p', {}, r.ready ? 'Ready.' : 'Not ready.'),
    table(['component', 'status', 'running', 'last run', 'last error'], Object.entries(r.checks).map(([name, c]) => h('tr', {},
      h('td', {}, name), h('td', {}, h('span', { class: 'badge ' + (c.status === 'ok' ? 'ok' : 'bad') }, c.status)),
      h('td', {}, c.running === undefined ? '' : c.running ? 'yes' : 'no'), h('td', {}, time(c.last_run)), h('td', {}, c.last_error || ''))))),
  { accept: [503] });

  const loadStats = liveView(totals.body, '/api/v1/stats', (s) => h('div', {},
    h('p', {}, `${fmt(s.totals.lines)} lines, ${fmt(s.totals.events)} events, ${fmt(s.totals.kept)} kept · ${fmt(s.fingerprints)} fingerprints · ${fmt(s.dead_letters)} dead letters`),
    table(['source', 'service', 'lines', 'events', 'kept'], s.by_source_service.map((r) => h('tr', {},
      h('td', {}, r.source), h('td', {}, r.service), h('td', { class: 'num' }, fmt(r.lines)), h('td', { class: 'num' }, fmt(r.events)), h('td', { class: 'num' }, fmt(r.kept)))))));

  const loadDead = liveView(dead.body, '/api/v1/dead-letters?limit=50', (d) =>
    table(['id', 'when', 'source', 'reason', 'bytes', 'first bytes', ''], d.items.map((x) => h('tr', {},
      h('td', { class: 'num' }, x.id), h('td', {}, time(x.ts)), h('td', {}, x.source), h('td', {}, x.reason), h('td', { class: 'num' }, fmt(x.size)),
      h('td', {}, h('code', { class: 'head' }, x.head_text)),
      h('td', {}, x.replayed ? 'replayed' : h('button', { type: 'button', on: { click: async () => {
        if (await write(`/api/v1/dead-letters/${x.id}/replay`, {}, `Dead letter ${x.id} replayed.`)) { loadDead.reset(); await loadDead(); }
      } } }, 'Replay'))))));

  await Promise.all([loadHealth(), loadStats(), loadDead()]);
  poller.every(2000, async () => { await loadHealth(); await loadStats(); await loadDead(); });
  return null;
}
