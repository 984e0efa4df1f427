// Shared pieces of every page: the API client (token, refusals), DOM building that never parses
// markup (every log-derived string goes in as text), times, polling and the router's link handling.

const TOKEN_KEY = 'selfheal.token';

export class ApiError extends Error {
  constructor(status, message, data = null) {
    super(message);
    this.status = status;
    this.data = data;  // the answer's JSON body, when it had one
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

let tokenAsked = false;

/// Opens the token dialog (once per refusal streak); `why` says what was refused.
export function askToken(why) {
  const d = document.getElementById('token-dialog');
  if (!d || d.open) return;
  document.getElementById('token-why').textContent = why;
  document.getElementById('token-input').value = '';
  d.showModal();
  tokenAsked = true;
}

/// Calls the JSON API. Throws ApiError with the server's message on any non-2xx answer.
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  const init = { method, headers, cache: 'no-store' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body || {});
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'the server did not answer (' + e.message + ')');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const msg = data && typeof data.error === 'string' ? data.error : res.statusText;
    if (res.status === 401 && !tokenAsked) askToken('The server refused a request without a valid token (401: ' + msg + '). Enter a token.');
    throw new ApiError(res.status, msg, data);
  }
  tokenAsked = false;
  return data;
}

/// A write made by a person: shows what happened in the notice area. Returns the answer or null.
export async function write(path, body, done) {
  try {
    const r = await api(path, { method: 'POST', body });
    if (done) notice(done, 'ok');
    return r;
  } catch (e) {
    notice(refusalText(e), 'error');
    return null;
  }
}

export function refusalText(e) {
  if (e.status === 401) return 'Refused (401): this write needs a token. ' + e.message + '. Set one with the Token button.';
  if (e.status === 403) return 'Refused (403): your token may not do this. ' + e.message + '.';
  if (e.status) return 'Failed (' + e.status + '): ' + e.message;
  return 'Failed: ' + e.message;
}

let noticeTimer = 0;
export function notice(text, kind = 'ok') {
  const n = document.getElementById('notice');
  n.textContent = text;
  n.className = 'notice ' + kind;
  n.hidden = false;
  clearTimeout(noticeTimer);
  if (kind === 'ok') noticeTimer = setTimeout(() => { n.hidden = true; }, 6000);
}

/// Builds an element. Children: strings (as text, never markup), nodes, arrays, null (skipped).
/// attrs: class, any attribute, `on: {event: fn}`, `dataset: {}`, `text` for textContent.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// Times: every time shows relative and absolute; a header button picks which is in front.
const UNITS = [[86400, 'd'], [3600, 'h'], [60, 'min'], [1, 's']];
export function relative(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  let s = Math.round((now - t) / 1000);
  const future = s < 0;
  s = Math.abs(s);
  if (s < 5) return 'just now';
  for (const [n, u] of UNITS) if (s >= n) return future ? 'in ' + Math.floor(s / n) + ' ' + u : Math.floor(s / n) + ' ' + u + ' ago';
  return '';
}

export function absolute(iso) {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return '';
  return t.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace('Z', ' UTC');
}

export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: absolute(iso) },
    h('span', { class: 'rel' }, relative(iso)), h('span', { class: 'abs' }, absolute(iso)));
}

/// Refreshes the relative texts of every <time> on the page (called by the live loop).
export function refreshTimes(root = document) {
  for (const t of root.querySelectorAll('time[datetime] .rel')) t.textContent = relative(t.parentElement.getAttribute('datetime'));
}

export function link(href, ...children) {
  return h('a', { href }, ...children);
}

// One formatter each: toLocaleString builds a new one per call, which shows on a 50-row page.
const INTEGER = new Intl.NumberFormat('en-US');
const DECIMAL = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
export function fmt(n) {
  if (n === null || n === undefined) return '—';
  if (typeof n !== 'number') return String(n);
  return (Number.isInteger(n) ? INTEGER : DECIMAL).format(n);
}

/// A section with a heading and a body that keeps its height while it loads (no layout shift).
export function section(title, minHeight, ...children) {
  const body = h('div', { class: 'section-body' }, ...children);
  if (minHeight) body.style.minHeight = minHeight + 'px';
  const s = h('section', { class: 'card' }, h('h2', {}, title), body);
  s.body = body;
  return s;
}

export function table(headers, rows, attrs = {}) {
  return h('table', attrs,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'none'))));
}

export function errorBox(e) {
  return h('p', { class: 'error-text', role: 'alert' }, e instanceof ApiError ? refusalText(e) : String(e));
}

/// Puts the result of `load()` into `el`, or the error; keeps el's height while loading.
export async function fill(el, load) {
  try {
    const node = await load();
    clear(el);
    if (node) el.appendChild(node);
  } catch (e) {
    clear(el);
    el.appendChild(errorBox(e));
  }
}

/// A live section: `load()` fetches `url` and redraws `el` with draw(data) only when the answer changed
/// (so a refresh neither flickers nor loses what a person typed); an error replaces the section's
/// content. `load.reset()` forces the next redraw. opts.accept: extra statuses whose body is data.
export function liveView(el, url, draw, opts = {}) {
  let last = '';
  const load = async () => {
    let data;
    try {
      data = await api(url, opts);
    } catch (e) {
      if (!(opts.accept || []).includes(e.status)) {
        last = '';
        clear(el).append(errorBox(e));
        return;
      }
      data = e.data;
    }
    const json = JSON.stringify(data);
    if (json === last) return;
    last = json;
    clear(el);
    const node = draw(data);
    if (node) el.appendChild(node);
  };
  load.reset = () => { last = ''; };
  return load;
}

/// Live refresh: runs fn every `ms` while the page is shown; the router stops it on navigation.
export class Poller {
  constructor() { this.timers = []; }
  every(ms, fn) {
    let busy = false;
    const id = setInterval(async () => {
      if (busy || document.hidden) return;
      busy = true;
      try { await fn(); } catch { /* shown by the next successful refresh */ } finally { busy = false; }
    }, ms);
    this.timers.push(id);
  }
  stop() {
    for (const id of this.timers) clearInterval(id);
    this.timers = [];
  }
}

export function badge(text, kind) {
  return h('span', { class: 'badge ' + (kind || text) }, text);
}

export function enc(s) {
  return encodeURIComponent(s);
}

/// Template with each `<*>` (a position whose values vary) highlighted.
export function templateText(t) {
  const parts = String(t).split('<*>');
  const out = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(h('mark', { class: 'var', title: 'variable position ' + (i - 1) }, '<*>'));
    if (p) out.push(p);
  });
  return out;
}
