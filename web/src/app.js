// The router: one URL per page, history API so links, reloads and the back button work.
import { Poller, askToken, clear, h, notice, refreshTimes, setToken, token } from './core.js';
import { listPage } from './fingerprints.js';
import { detailPage } from './detail.js';
import { healingPage } from './healing.js';
import { suggestionsPage } from './suggestions.js';
import { ingestPage } from './ingest.js';

const routes = [
  [/^\/(ui\/?)?$/, 'fingerprints', listPage],
  [/^\/ui\/fingerprints\/?$/, 'fingerprints', listPage],
  [/^\/ui\/fingerprints\/([A-Za-z0-9_-]{1,64})$/, 'fingerprints', detailPage],
  [/^\/ui\/healing\/?$/, 'healing', healingPage],
  [/^\/ui\/suggestions\/?$/, 'suggestions', suggestionsPage],
  [/^\/ui\/ingest\/?$/, 'ingest', ingestPage],
];

let current = null;  // {poller, cleanup}

async function render() {
  if (current) {
    current.poller.stop();
    if (current.cleanup) current.cleanup();
  }
  const main = clear(document.getElementById('main'));
  const poller = new Poller();
  current = { poller, cleanup: null };
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  for (const [re, nav, page] of routes) {
    const m = path.match(re);
    if (!m) continue;
    for (const a of document.querySelectorAll('nav a[data-nav]')) {
      if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const ctx = { main, params, match: m, poller, navigate, replace };
    current.cleanup = (await page(ctx)) || null;
    poller.every(10_000, async () => refreshTimes(main));
    return;
  }
  document.title = 'Not found · selfheal';
  main.appendChild(h('section', { class: 'card' }, h('h1', {}, 'No such page'), h('p', {}, h('a', { href: '/ui/fingerprints' }, 'Fingerprints'))));
}

export function navigate(url) {
  history.pushState(null, '', url);
  render();
  document.getElementById('main').focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

/// Changes the URL of the page shown (filters) without a new history entry.
export function replace(url) {
  history.replaceState(null, '', url);
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !(url.pathname === '/' || url.pathname.startsWith('/ui'))) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', render);

// Token: asked when the server refuses, kept in this tab only.
const dialog = document.getElementById('token-dialog');
dialog.addEventListener('close', () => {
  if (dialog.returnValue === 'save') {
    const t = document.getElementById('token-input').value.trim();
    if (t) {
      setToken(t);
      notice('Token saved for this tab.', 'ok');
      render();
    }
  } else if (dialog.returnValue === 'clear') {
    setToken('');
    notice('Token forgotten.', 'ok');
  }
  document.getElementById('token-input').value = '';
});
const tokenButton = document.getElementById('token-button');
tokenButton.addEventListener('click', () => askToken(token() ? 'A token is set for this tab. Enter another one or forget it.' : 'Enter an API token (sent as Authorization: Bearer).'));

const timeButton = document.getElementById('time-mode');
function applyTimeMode() {
  const abs = localStorage.getItem('selfheal.times') === 'absolute';
  document.body.classList.toggle('times-absolute', abs);
  timeButton.textContent = abs ? 'Times: absolute (UTC)' : 'Times: relative';
}
timeButton.addEventListener('click', () => {
  localStorage.setItem('selfheal.times', document.body.classList.contains('times-absolute') ? 'relative' : 'absolute');
  applyTimeMode();
});
applyTimeMode();

render();
