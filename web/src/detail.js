// Fingerprint detail: template, chart with a range picker, samples, values, frames, explanation,
// lifecycle, merges, audit trail, healing runs and suggestions.
import { api, clear, enc, errorBox, fill, fmt, h, section, table, templateText, time, write } from './core.js';
import { timeChart } from './charts.js';
import { badges } from './fingerprints.js';

const RANGES = { hour: 'Last hour (per minute)', day: 'Last day (per hour)', week: 'Last week (per hour)' };

/// The points of a range, from the detail's series: per minute for an hour, the hourly roll-up otherwise.
export function rangePoints(d, range) {
  if (range === 'hour') return d.series.map((p) => [Date.parse(p.minute) / 1000, p.count]);
  const since = Date.now() - (range === 'day' ? 86400e3 : 7 * 86400e3);
  return d.series_hourly.filter((p) => Date.parse(p.hour) >= since).map((p) => [Date.parse(p.hour) / 1000, p.count]);
}

function frameText(f) {
  if (typeof f === 'string') return f;
  const where = f.file ? ` (${f.file}${f.line ? ':' + f.line : ''})` : '';
  return `${f.module || ''}${f.module && f.function ? '.' : ''}${f.function || ''}${where}`;
}

function names(list) {
  return table(['name', 'events'], (list || []).map((n) => h('tr', {}, h('td', {}, n.name), h('td', { class: 'num' }, fmt(n.count)))));
}

export async function detailPage(ctx) {
  const { main, match, params, poller, replace } = ctx;
  const id = match[1];
  document.title = id + ' · selfheal';
  let range = RANGES[params.get('range')] ? params.get('range') : 'hour';

  const head = h('section', { class: 'card', id: 'fp-head' }, h('h1', { class: 'tpl-title' }, 'Fingerprint ', h('code', {}, id)), h('div', { class: 'reserve-80' }, 'loading…'));
  const chartBox = h('div', { class: 'chart', id: 'fp-chart' });
  const picker = h('div', { class: 'range', role: 'group', 'aria-label': 'Range' },
    Object.entries(RANGES).map(([k, label]) => h('button', { type: 'button', dataset: { range: k }, 'aria-pressed': k === range ? 'true' : 'false',
      on: { click: () => setRange(k) } }, label)));
  const chartCard = h('section', { class: 'card' }, h('h2', {}, 'Events'), picker, chartBox);
  const actions = section('Lifecycle', 90);
  const samples = section('Samples', 120);
  const values = section('Values behind each <*>', 80);
  const where = section('Services and hosts', 80);
  const frames = section('Trace frames', 40);
  const explain = section('Why this fingerprint', 60);
  const audit = section('Audit trail', 60);
  const runs = section('Healing runs', 60);
  const suggestions = section('Suggestions', 60);
  main.append(head, h('div', { class: 'grid2' }, chartCard, actions), samples,
    h('div', { class: 'grid2' }, values, where), h('div', { class: 'grid2' }, frames, explain),
    h('div', { class: 'grid2' }, audit, runs), suggestions);

  let d = null;
  let chart = null;

  function drawChart() {
    const pts = rangePoints(d, range);
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    if (chart) chart.set(xs, ys);
    else chart = timeChart(chartBox, xs, ys, { label: range === 'hour' ? 'events per minute' : 'events per hour' });
  }

  function setRange(k) {
    range = k;
    const q = new URLSearchParams(location.search);
    q.set('range', k);
    replace(location.pathname + '?' + q);
    for (const b of picker.querySelectorAll('button')) b.setAttribute('aria-pressed', b.dataset.range === k ? 'true' : 'false');
    if (chart) { chart.destroy(); chart = null; clear(chartBox); }
    if (d) drawChart();
  }

  function drawHead() {
    clear(head);
    head.append(
      h('h1', { class: 'tpl-title' }, h('span', { class: 'tpl', id: 'fp-template' }, templateText(d.template))),
      h('p', { class: 'meta' },
        h('code', {}, d.id), ' ', badges(d), ' ',
        h('span', { id: 'fp-status', class: 'status ' + d.status }, d.status), ' · ',
        h('span', { id: 'fp-count' }, fmt(d.count)), ' events · ',
        fmt(d.rate_per_min), '/min (baseline ', fmt(d.baseline_per_min), ') · ', d.severity,
        d.exception_type ? ' · ' + d.exception_type : '',
        ' · first ', time(d.first_seen), ' · last ', time(d.last_seen),
        d.merged_into ? h('span', {}, ' · merged into ', h('a', { href: '/ui/fingerprints/' + enc(d.merged_into) }, d.merged_into)) : null));
  }

  function act(action, body, done) {
    return async () => {
      if (await write('/api/v1/fingerprints/' + enc(id) + '/' + action, body(), done)) await refresh(true);
    };
  }

  function drawActions() {
    clear(actions.body);
    const ignoreFor = h('select', { id: 'ignore-kind', 'aria-label': 'ignore kind' },
      h('option', { value: 'for' }, 'for (duration)'), h('option', { value: 'more_events' }, 'until N more events'),
      h('option', { value: 'rate_per_min' }, 'until rate per min'), h('option', { value: 'forever' }, 'until unresolved'));
    const ignoreVal = h('input', { id: 'ignore-value', size: 6, placeholder: '2h / 100', 'aria-label': 'ignore value' });
    const mergeInto = h('input', { id: 'merge-into', size: 24, placeholder: 'target fingerprint id', 'aria-label': 'merge into', autocomplete: 'off' });
    const ignoreBody = () => {
      const k = ignoreFor.value;
      const val = ignoreVal.value.trim();
      if (k === 'forever' || !val) return {};
      return { [k]: k === 'for' ? val : Number(val) };
    };
    actions.body.appendChild(h('div', {},
      h('div', { class: 'buttons' },
        h('button', { type: 'button', id: 'act-resolve', on: { click: act('resolve', () => ({}), 'Resolved.') } }, 'Resolve'),
        h('button', { type: 'button', id: 'act-unresolve', on: { click: act('unresolve', () => ({}), 'Unresolved.') } }, 'Unresolve')),
      h('div', { class: 'buttons' }, 'Ignore ', ignoreFor, ignoreVal,
        h('button', { type: 'button', id: 'act-ignore', on: { click: act('ignore', ignoreBody, 'Ignored.') } }, 'Ignore')),
      h('div', { class: 'buttons' }, 'Merge into ', mergeInto,
        h('button', { type: 'button', id: 'act-merge', on: { click: act('merge', () => ({ into: mergeInto.value.trim() }), 'Merged.') } }, 'Merge'),
        d.merged_into ? h('button', { type: 'button', id: 'act-unmerge', on: { click: act('unmerge', () => ({}), 'Unmerged.') } }, 'Unmerge') : null),
      d.merged_from && d.merged_from.length
        ? h('div', {}, 'Merged here: ', d.merged_from.map((c) => h('span', { class: 'chip' },
          h('a', { href: '/ui/fingerprints/' + enc(c) }, c), ' ',
          h('button', { type: 'button', class: 'small', on: { click: async () => {
            if (await write('/api/v1/fingerprints/' + enc(c) + '/unmerge', {}, 'Unmerged ' + c + '.')) await refresh(true);
          } } }, 'unmerge'))))
        : null,
      h('div', { class: 'buttons' },
        h('button', { type: 'button', id: 'act-suggest', on: { click: async () => {
          if (await write('/api/v1/fingerprints/' + enc(id) + '/suggest', {}, 'Suggestion requested; it appears below when the model answers.')) await refresh(true);
        } } }, 'Ask for a fix suggestion'),
        h('a', { href: '/ui/suggestions?preview=' + enc(id) }, 'Preview what the model would get'))));
  }

  function drawDetails() {
    clear(samples.body).append(table(['when', 'service', 'host', 'message'], d.samples.map((s) =>
      h('tr', {}, h('td', {}, time(s.ts)), h('td', {}, s.service), h('td', {}, s.host), h('td', {}, h('pre', { class: 'msg' }, s.message))))));
    clear(values.body).append(d.values.length
      ? h('div', { class: 'values' }, d.values.map((v) => h('div', { class: 'value-pos' },
        h('h3', {}, `<*> #${v.position} · ~${fmt(v.distinct_estimate)} distinct`),
        table(['value', 'count'], v.top.map((t) => h('tr', {}, h('td', {}, h('code', {}, t.value)), h('td', { class: 'num' }, fmt(t.count))))))))
      : h('p', { class: 'muted' }, 'No variable positions.'));
    clear(where.body).append(h('div', { class: 'grid2 tight' }, h('div', {}, h('h3', {}, 'Services'), names(d.services)), h('div', {}, h('h3', {}, 'Hosts'), names(d.hosts))));
    clear(frames.body).append(Array.isArray(d.frames) && d.frames.length
      ? h('ol', { class: 'frames' }, d.frames.map((f) => h('li', { class: f.in_app === false ? 'muted' : '' }, h('code', {}, frameText(f)))))
      : h('p', { class: 'muted' }, 'Not a stack trace.'));
    clear(explain.body).append(d.explain ? h('pre', { class: 'explain' }, JSON.stringify(d.explain, null, 2)) : h('p', { class: 'muted' }, 'No sample to explain.'));
  }

  async function loadSide() {
    await Promise.all([
      fill(audit.body, async () => {
        const a = await api('/api/v1/audit?subject=' + enc(id));
        return table(['when', 'who', 'action', 'detail'], a.entries.map((e) => h('tr', {}, h('td', {}, time(e.ts)), h('td', {}, e.actor), h('td', {}, e.action), h('td', {}, e.detail))), { id: 'audit-table' });
      }),
      fill(runs.body, async () => {
        const r = await api('/api/v1/healing/runs?limit=20&fingerprint_id=' + enc(id));
        return table(['when', 'strategy', 'action', 'decision', 'reason', 'outcome'], r.runs.map((x) => h('tr', {},
          h('td', {}, time(x.ts)), h('td', {}, x.strategy), h('td', {}, x.action), h('td', {}, x.decision), h('td', {}, x.reason), h('td', {}, x.outcome))));
      }),
      fill(suggestions.body, async () => {
        const s = await api('/api/v1/suggestions?limit=10&fingerprint=' + enc(id));
        return table(['when', 'status', 'confidence', 'summary', 'fix'], s.items.map((x) => h('tr', {},
          h('td', {}, time(x.created_at)), h('td', {}, x.status), h('td', { class: 'num' }, Math.round(x.confidence * 100) + ' %'),
          h('td', {}, x.summary), h('td', {}, x.suggested_fix))));
      }),
    ]);
  }

  let lastJson = '';
  async function refresh(all) {
    const next = await api('/api/v1/fingerprints/' + enc(id));
    const json = JSON.stringify(next);
    if (json !== lastJson) {
      lastJson = json;
      d = next;
      drawHead();
      drawChart();
      if (all) {
        drawActions();
        drawDetails();
      }
    }
    if (all) await loadSide();
  }

  try {
    await refresh(true);
  } catch (e) {
    clear(head).append(h('h1', {}, 'Fingerprint ', h('code', {}, id)), errorBox(e));
    return null;
  }
  poller.every(2000, () => refresh(false));
  const onResize = () => chart && chart.resize();
  window.addEventListener('resize', onResize);
  return () => {
    window.removeEventListener('resize', onResize);
    if (chart) chart.destroy();
  };
}
