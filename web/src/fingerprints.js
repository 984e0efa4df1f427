// Fingerprints: the ranked list. Filters live in the URL (linkable; back restores them).
import { api, badge, clear, enc, errorBox, fmt, h, notice, templateText, time, write } from './core.js';
import { sparkline } from './charts.js';

const PAGE = 50;
const FILTERS = ['q', 'service', 'status', 'severity', 'since', 'sort', 'cursor'];

function select(name, label, options, value) {
  return h('label', {}, label + ' ',
    h('select', { name, id: 'f-' + name }, options.map(([v, t]) => h('option', { value: v, selected: v === value }, t))));
}

export function badges(f) {
  return [
    f.is_new ? badge('new') : null,
    f.regressed ? badge('regressed') : null,
    f.escalating ? badge('escalating') : null,
    f.status === 'ignored' ? badge('ignored') : null,
    f.status === 'resolved' ? badge('resolved') : null,
    f.merged_into ? badge('merged') : null,
  ];
}

function row(f, selected) {
  const services = (f.services || []).map((s) => s.name).join(', ');
  return h('tr', { class: 'fp-row', dataset: { id: f.id }, 'aria-selected': selected ? 'true' : 'false' },
    h('td', { class: 'pick' }, h('input', { type: 'checkbox', 'aria-label': 'select ' + f.id, dataset: { id: f.id } })),
    h('td', { class: 'spark-cell' }, sparkline(f.sparkline || [])),
    h('td', { class: 'tpl' }, h('a', { href: '/ui/fingerprints/' + enc(f.id), class: 'fp-link' }, templateText(f.template)),
      h('div', { class: 'sub' }, h('code', {}, f.id), ' ', services)),
    h('td', { class: 'badges' }, badges(f)),
    h('td', { class: 'num' }, fmt(f.count)),
    h('td', { class: 'num' }, fmt(f.rate_per_min)),
    h('td', {}, f.severity),
    h('td', {}, time(f.last_seen)),
    h('td', {}, time(f.first_seen)));
}

function skeleton(n) {
  const rows = [];
  for (let i = 0; i < n; i++) rows.push(h('tr', { class: 'skeleton-row' }, h('td', { colspan: 9 }, '\u00a0')));
  return rows;
}

export async function listPage(ctx) {
  const { main, params, navigate, poller } = ctx;
  document.title = 'Fingerprints · selfheal';
  const v = (k) => params.get(k) || '';
  const form = h('form', { class: 'filters', role: 'search' },
    h('label', {}, 'Search ', h('input', { type: 'search', name: 'q', id: 'search', value: v('q'), placeholder: 'template or id  ( / )', autocomplete: 'off' })),
    h('label', {}, 'Service ', h('input', { type: 'text', name: 'service', value: v('service'), size: 12 })),
    select('status', 'Status', [['', 'any'], ['unresolved', 'unresolved'], ['resolved', 'resolved'], ['ignored', 'ignored']], v('status')),
    select('severity', 'Min severity', [['', 'any'], ['warning', 'warning'], ['error', 'error'], ['critical', 'critical']], v('severity')),
    select('since', 'Seen since', [['', 'ever'], ['15m', '15 min'], ['1h', '1 hour'], ['24h', '24 hours'], ['7d', '7 days']], v('since')),
    select('sort', 'Sort', [['count', 'count'], ['last_seen', 'last seen'], ['rate', 'rate']], v('sort') || 'count'),
    h('button', { type: 'submit' }, 'Apply'));
  const apply = () => {
    const q = new URLSearchParams();
    for (const [k, val] of new FormData(form)) if (val) q.set(k, val);
    navigate('/ui/fingerprints' + (q.toString() ? '?' + q : ''));
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  for (const s of form.querySelectorAll('select')) s.addEventListener('change', apply);

  const status = h('span', { class: 'muted', id: 'list-status' }, 'loading…');
  const bulk = h('div', { class: 'bulk' },
    h('button', { type: 'button', id: 'bulk-resolve', on: { click: () => bulkAction('resolve') } }, 'Resolve selected'),
    h('button', { type: 'button', id: 'bulk-ignore', on: { click: () => bulkAction('ignore') } }, 'Ignore selected'),
    status);
  const tbody = h('tbody', { id: 'fp-rows' }, skeleton(PAGE));
  const tbl = h('table', { class: 'fp-table', id: 'fp-table' },
    h('thead', {}, h('tr', {}, ['', 'last hour', 'template', '', 'events', 'per min', 'severity', 'last seen', 'first seen'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody);
  const pager = h('div', { class: 'pager' });
  const help = h('p', { class: 'muted small' }, 'Keys: j / k move, Enter opens, x selects, / searches.');
  main.append(h('section', { class: 'card' }, h('h1', {}, 'Fingerprints'), form, bulk, h('div', { class: 'table-wrap' }, tbl), pager, help));

  let cursorIndex = -1;
  let lastJson = '';
  let items = [];
  const query = new URLSearchParams();
  for (const k of FILTERS) if (params.get(k)) query.set(k, params.get(k));
  query.set('limit', String(PAGE));

  function draw(data, first) {
    if (first) performance.mark('list-data');
    items = data.fingerprints;
    const checked = new Set([...tbody.querySelectorAll('input:checked')].map((c) => c.dataset.id));
    clear(tbody);
    if (!items.length) tbody.appendChild(h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'No fingerprints match.')));
    items.forEach((f, i) => {
      const r = row(f, i === cursorIndex);
      if (checked.has(f.id)) r.querySelector('input').checked = true;
      tbody.appendChild(r);
    });
    clear(pager);
    if (params.get('cursor')) pager.appendChild(h('a', { href: '/ui/fingerprints?' + without('cursor') }, '« First page'));
    if (data.next_cursor) {
      const next = new URLSearchParams(params);
      next.set('cursor', data.next_cursor);
      pager.appendChild(h('a', { href: '/ui/fingerprints?' + next, id: 'next-page' }, 'Next page »'));
    }
    status.textContent = items.length + ' shown' + (data.next_cursor ? ', more on the next pages' : '');
    if (first) performance.mark('list-drawn');
    if (first) {  // after the frame that shows the rows is painted (the browser test reads this mark)
      requestAnimationFrame(() => requestAnimationFrame(() => {
        performance.mark('list-first-page');
        document.body.dataset.listRendered = String(items.length);
      }));
    }
  }

  function without(k) {
    const q = new URLSearchParams(params);
    q.delete(k);
    return q.toString();
  }

  async function load(first) {
    const data = await api('/api/v1/fingerprints?' + query);
    const json = JSON.stringify(data);
    if (json === lastJson) return;
    lastJson = json;
    draw(data, first);
  }

  async function bulkAction(action) {
    const ids = [...tbody.querySelectorAll('input:checked')].map((c) => c.dataset.id);
    if (!ids.length) return notice('Select rows first (x or the check boxes).', 'error');
    let ok = 0;
    for (const id of ids) {
      if (await write('/api/v1/fingerprints/' + enc(id) + '/' + action, {})) ok++;
      else return;  // the refusal is shown; stop at the first
    }
    notice(`${action === 'resolve' ? 'Resolved' : 'Ignored'} ${ok} fingerprint${ok === 1 ? '' : 's'}.`, 'ok');
    lastJson = '';
    await load(false);
  }

  function move(d) {
    const rows = tbody.querySelectorAll('tr.fp-row');
    if (!rows.length) return;
    cursorIndex = Math.max(0, Math.min(rows.length - 1, cursorIndex + d));
    rows.forEach((r, i) => r.setAttribute('aria-selected', i === cursorIndex ? 'true' : 'false'));
    rows[cursorIndex].scrollIntoView({ block: 'nearest' });
  }

  function onKey(e) {
    const tag = (e.target.tagName || '').toLowerCase();
    if (tag === 'input' || tag === 'select' || tag === 'textarea' || e.metaKey || e.ctrlKey || e.altKey) {
      if (e.key === 'Escape') e.target.blur();
      return;
    }
    const rows = tbody.querySelectorAll('tr.fp-row');
    if (e.key === 'j') move(1);
    else if (e.key === 'k') move(-1);
    else if (e.key === '/') { e.preventDefault(); form.querySelector('#search').focus(); }
    else if (e.key === 'x' && rows[cursorIndex]) { const c = rows[cursorIndex].querySelector('input'); c.checked = !c.checked; }
    else if (e.key === 'Enter' && rows[cursorIndex]) navigate('/ui/fingerprints/' + enc(rows[cursorIndex].dataset.id));
    else return;
    e.preventDefault();
  }
  document.addEventListener('keydown', onKey);

  try {
    await load(true);
  } catch (e) {
    clear(tbody);
    tbody.appendChild(h('tr', {}, h('td', { colspan: 9 }, errorBox(e))));
    status.textContent = '';
  }
  // Live: a new or regressed fingerprint shows within a second or two (first page only; later pages stay put).
  if (!params.get('cursor')) poller.every(1000, () => load(false));
  return () => document.removeEventListener('keydown', onKey);
}
