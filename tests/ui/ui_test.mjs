// Browser test of the web UI (issue 17, acceptance 1-3), run by CTest (tests/ui/CMakeLists.txt).
// playwright-core drives Debian's chromium against a real `selfheal serve` (temp data dir, port 0,
// tokens configured, a healer strategy that needs approval, an OpenAI-compatible stand-in for the LLM
// on 127.0.0.1), seeded through /loki/api/v1/push with the Loghub logs, a few Java traces and 10,000
// distinct errors. Every UI action is confirmed through the API. Screenshots go to --out.
//
//   node tests/ui/ui_test.mjs --bin build/selfheal --out build/ui-artifacts [--shared ../shared]
//                             [--chromium /usr/bin/chromium]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const BIN = path.resolve(args.bin || path.join(here, '../../build/selfheal'));
const OUT = path.resolve(args.out || path.join(here, '../../build/ui-artifacts'));
const SHARED = path.resolve(args.shared || path.join(here, '../../../shared'));
const CHROMIUM = args.chromium || '/usr/bin/chromium';
const FIRST_PAGE_BUDGET_MS = 1000;
// The sanitizer tree (build-fuzz/) runs this test against an ASan+UBSan server several times slower:
// the figure is still printed there, the 1 s budget is held by the optimised build.
const TIMED = args.timed !== 'off';
const SYNTHETIC = 10_000;

const TOKENS = { operator: 'op-' + rand(), viewer: 'view-' + rand(), ingest: 'ship-' + rand() };
const failures = [];
const figures = [];

function rand() { return Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2); }
function log(...a) { console.log('ui_test:', ...a); }
function check(ok, what) {
  if (ok) log('ok  ', what);
  else { log('FAIL', what); failures.push(what); }
  return ok;
}
function figure(name, value) { figures.push(`${name}: ${value}`); log('figure', name + ':', value); }
async function waitFor(pred, ms, what) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { last = await pred(); if (last) return last; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

// ---- the LLM stand-in: OpenAI chat completions on 127.0.0.1:0 ----
const llmRequests = [];
const llm = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    llmRequests.push({ url: req.url, body });
    if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) { res.writeHead(404).end(); return; }
    const content = JSON.stringify({
      summary: 'Recursion in getImplementedInterfaces never terminates',
      root_cause: 'A type that implements itself through a cycle sends FunctionType.getImplementedInterfaces into unbounded recursion.',
      suggested_fix: 'Track visited types in getImplementedInterfaces and stop on a cycle.',
      evidence: ['com.google.javascript.rhino.jstype.FunctionType.getImplementedInterfaces'],
      confidence: 0.8,
    });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ id: 'chatcmpl-ui', object: 'chat.completion', created: 1764700000, model: 'fake-model',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content, refusal: null } }],
      usage: { prompt_tokens: 90, completion_tokens: 40, total_tokens: 130 } }));
  });
});
await new Promise((r) => llm.listen(0, '127.0.0.1', r));
const llmUrl = `http://127.0.0.1:${llm.address().port}/v1`;

// ---- selfheal serve ----
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfheal-ui-'));
fs.mkdirSync(OUT, { recursive: true });
for (const f of fs.readdirSync(OUT)) if (f.endsWith('.png')) fs.rmSync(path.join(OUT, f));
const config = path.join(dir, 'selfheal.yaml');
fs.writeFileSync(config, `
api:
  tokens:
    - {name: ui-operator, role: operator, token_env: SELFHEAL_UI_OPERATOR}
    - {name: ui-viewer, role: viewer, token_env: SELFHEAL_UI_VIEWER}
    - {name: ui-shipper, role: ingest, token_env: SELFHEAL_UI_SHIPPER}
pipeline:
  min_severity: debug
fingerprint:
  learn_interval_ms: 0          # no learned merges while the test compares the list with the API
healer:
  enabled: true
  strategies:
    - name: restart-billing
      match: {service: billing, message_regex: 'invoice export failed'}
      requires_approval: true
      approval_ttl_secs: 3600
      actions:
        - {type: exec, name: restart, argv: [/bin/true]}
llm:
  provider:
    type: openai
    base_url: ${llmUrl}
    model: fake-model
    api_key_env: SELFHEAL_UI_LLM_KEY
`);
const serve = spawn(BIN, ['serve', '--config', config, '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data')], {
  env: { ...process.env, SELFHEAL_UI_OPERATOR: TOKENS.operator, SELFHEAL_UI_VIEWER: TOKENS.viewer, SELFHEAL_UI_SHIPPER: TOKENS.ingest,
    SELFHEAL_UI_LLM_KEY: 'sk-ui-test-' + rand() },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let serveLog = '';
serve.stdout.on('data', (d) => { serveLog += d; });
serve.stderr.on('data', (d) => { serveLog += d; });
let browser = null;

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (serve.exitCode === null) {
    serve.kill('SIGTERM');
    await new Promise((r) => { serve.once('exit', r); setTimeout(r, 5000); });
  }
  llm.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

let base = '';

// ---- API helpers (the truth the UI is checked against) ----
async function apiGet(p, tok = TOKENS.operator) {
  const r = await fetch(base + p, { headers: { Authorization: 'Bearer ' + tok } });
  if (!r.ok) throw new Error(`GET ${p}: ${r.status} ${await r.text()}`);
  return r.json();
}
async function push(streams) {
  const r = await fetch(base + '/loki/api/v1/push', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + TOKENS.ingest },
    body: JSON.stringify({ streams }),
  });
  if (r.status !== 204) throw new Error(`push: ${r.status} ${await r.text()}`);
}
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/// Distinct alphabetic words (no digits or hex letters, so the scanner keeps them as text).
function word(i) {
  const a = 'ghijklmnopqrstuvwxyz';
  let s = '';
  do { s += a[i % 20]; i = Math.floor(i / 20); } while (i > 0);
  return 'q' + s + 'w';
}

async function seed() {
  // Loghub: every line of every public dataset, spread over the last 50 minutes, service = dataset.
  const hub = path.join(SHARED, 'data/loghub-2k');
  const sets = fs.readdirSync(hub).filter((d) => fs.existsSync(path.join(hub, d, `${d}_2k.log`)));
  let lines = 0;
  const t0 = nowNs() - 50n * 60n * 1_000_000_000n;
  for (const set of sets) {
    const text = fs.readFileSync(path.join(hub, set, `${set}_2k.log`), 'utf8').split('\n').filter(Boolean);
    const step = (50n * 60n * 1_000_000_000n) / BigInt(text.length);
    for (let i = 0; i < text.length; i += 500) {
      await push([{ stream: { service: set.toLowerCase(), job: 'loghub' },
        values: text.slice(i, i + 500).map((l, k) => [String(t0 + BigInt(i + k) * step), l]) }]);
    }
    lines += text.length;
  }
  // A few real Java traces (Defects4J), each one entry of a shipper, repeated so they rank.
  const traces = fs.readFileSync(path.join(SHARED, 'data/stacktraces/defects4j/exceptions.jsonl'), 'utf8')
    .split('\n').filter(Boolean).slice(0, 5).map((l) => JSON.parse(l).text);
  for (let rep = 0; rep < 30; rep++) {
    await push([{ stream: { service: 'closure-compiler', level: 'error' },
      values: traces.map((t, k) => [String(nowNs() - BigInt((30 - rep) * 60 + k) * 1_000_000_000n), t]) }]);
  }
  // The strategy that needs approval matches these.
  await push([{ stream: { service: 'billing', level: 'error' },
    values: [0, 1, 2, 3, 4].map((k) => [String(nowNs() + BigInt(k)), `ERROR invoice export failed for batch ${k}`]) }]);
  // 10,000 distinct errors over 10 services (the per-service new-fingerprint cap is 10,000 an hour).
  for (let i = 0; i < SYNTHETIC; i += 1000) {
    const streams = [];
    for (let s = 0; s < 10; s++) {
      const values = [];
      for (let k = i + s; k < i + 1000; k += 10) values.push([String(nowNs() - BigInt(k)), `ERROR replica ${word(k)} refused the lease handoff`]);
      streams.push({ stream: { service: `fleet-${String.fromCharCode(97 + s)}`, level: 'error' }, values });
    }
    await push(streams);
  }
  return { lines, sets, traces: traces.length };
}

async function run() {
  const seeded = await seed();
  const stats = await waitFor(async () => {
    const s = await apiGet('/api/v1/stats');
    return s.fingerprints >= SYNTHETIC + 100 ? s : null;
  }, 60000, 'the seeded fingerprints to be committed');
  figure('seeded', `${seeded.lines} Loghub lines from ${seeded.sets.length} datasets, ${seeded.traces} traces x30, ${SYNTHETIC} synthetic errors -> ${stats.fingerprints} fingerprints`);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) pageErrors.push('console: ' + m.text()); });
  const shot = async (name, p = page) => {
    const file = path.join(OUT, name + '.png');
    await p.screenshot({ path: file, fullPage: true });
    log('screenshot', file);
  };
  const noticeText = () => page.locator('#notice').textContent();

  // 1. No token yet: the API refuses, the UI asks for one.
  await page.goto(base + '/');
  await page.locator('#token-dialog[open]').waitFor({ timeout: 5000 });
  check((await page.locator('#token-why').textContent()).includes('401'), 'without a token the UI says the server refused (401) and asks for one');
  await shot('00-token-prompt');
  await page.fill('#token-input', TOKENS.operator);
  await page.click('#token-save');
  await page.locator('#fp-rows tr.fp-row').first().waitFor({ timeout: 5000 });
  check(!(await page.evaluate(() => location.href)).includes(TOKENS.operator), 'the token is not in the URL');

  // 2. First page of > 10,000 fingerprints, measured in the browser from navigation start.
  const times = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(base + '/ui/fingerprints');
    await page.waitForFunction(() => document.body.dataset.listRendered, null, { timeout: 10000 });
    times.push(await page.evaluate(() => ({
      page: performance.getEntriesByName('list-first-page')[0].startTime,
      api: performance.getEntriesByType('resource').find((e) => e.name.includes('/api/v1/fingerprints?')).duration,
      apiStart: performance.getEntriesByType('resource').find((e) => e.name.includes('/api/v1/fingerprints?')).startTime,
      data: performance.getEntriesByName('list-data')[0].startTime,
      drawn: performance.getEntriesByName('list-drawn')[0].startTime,
    })));
  }
  // Each run is a full navigation (HTML, modules, API call, drawing); the figure is the median of three.
  const firstPage = times.map((t) => t.page).sort((a, b) => a - b)[1];
  figure('first page of the list (navigation start -> 50 rows painted)', `${firstPage.toFixed(0)} ms median with ${stats.fingerprints} fingerprints ` +
    `(runs: ${times.map((t) => `${t.page.toFixed(0)} ms: API call from ${t.apiStart.toFixed(0)} ms, ${t.api.toFixed(0)} ms long, rows built ${t.data.toFixed(0)}-${t.drawn.toFixed(0)} ms`).join('; ')})`);
  if (TIMED) check(firstPage < FIRST_PAGE_BUDGET_MS, `the first page renders in under ${FIRST_PAGE_BUDGET_MS} ms`);
  else console.log(`ui_test: not held here (--timed off, sanitized server): the ${FIRST_PAGE_BUDGET_MS} ms budget`);
  const cls = await page.evaluate(() => new Promise((resolve) => {
    let sum = 0;
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) sum += e.value; }).observe({ type: 'layout-shift', buffered: true });
    setTimeout(() => resolve(sum), 300);
  }));
  figure('cumulative layout shift of the list page', cls.toFixed(4));

  // 3. The list shows the fingerprints in API order (default sort, then a filter and another sort).
  const uiIds = () => page.$$eval('#fp-rows tr.fp-row', (rows) => rows.map((r) => r.dataset.id));
  const sameOrder = async (query) => waitFor(async () => {
    const api = (await apiGet('/api/v1/fingerprints?limit=50' + query)).fingerprints.map((f) => f.id);
    const ui = await uiIds();
    return api.length > 0 && JSON.stringify(api) === JSON.stringify(ui) ? api : null;
  }, 5000, 'the UI rows to match the API ' + query);
  const top = await sameOrder('');
  check(top.length === 50, 'the first page shows 50 rows in the API order (sort=count)');
  await shot('01-fingerprints-1280');
  await page.goto(base + '/ui/fingerprints?service=hdfs&sort=last_seen');
  const hdfs = await sameOrder('&service=hdfs&sort=last_seen');
  const hdfsApi = await apiGet('/api/v1/fingerprints?limit=50&service=hdfs&sort=last_seen');
  check(hdfs.length > 5 && hdfsApi.fingerprints.every((f) => f.services.some((s) => s.name === 'hdfs')), `a service filter (hdfs, ${hdfs.length} rows) and sort=last_seen show the API's rows in its order`);
  await page.goto(base + '/ui/fingerprints?q=' + encodeURIComponent('StackOverflowError'));
  await waitFor(async () => (await uiIds()).length > 0, 5000, 'search results');
  const searched = await sameOrder('&q=StackOverflowError');
  check(searched.length >= 1, 'search finds the seeded trace');
  // Sparklines: one point per minute of the API's `sparkline`, which holds the trace's 30 recent minutes.
  const apiRow = (await apiGet('/api/v1/fingerprints?limit=50&q=StackOverflowError')).fingerprints[0];
  const sparkPoints = await page.$eval(`#fp-rows tr.fp-row[data-id="${apiRow.id}"] svg.spark polyline`, (p) => p.getAttribute('points').trim().split(/\s+/).length);
  const sparkSum = apiRow.sparkline.reduce((a, b) => a + b, 0);
  check(apiRow.sparkline.length === 60 && sparkPoints === 60 && sparkSum > 0 && sparkSum <= apiRow.count,
    `the row's sparkline draws the API's 60 minutes (${sparkPoints} points, ${sparkSum} of ${apiRow.count} events)`);
  // Cursor pagination.
  await page.goto(base + '/ui/fingerprints');
  await page.click('#next-page');
  await page.waitForURL(/cursor=/);
  const cursor = new URL(page.url()).searchParams.get('cursor');
  await sameOrder('&cursor=' + encodeURIComponent(cursor));
  check(true, 'the next page (cursor) shows the API\'s second page');
  await page.goBack();
  await page.waitForURL((u) => !u.searchParams.get('cursor'));
  check(JSON.stringify(await sameOrder('')) === JSON.stringify(top), 'the back button returns to the first page');

  // 4. Live: a new fingerprint shows without a reload within 2 s of its push.
  await page.goto(base + '/ui/fingerprints?sort=last_seen');
  await sameOrder('&sort=last_seen');
  const marker = 'quokkaxenolith';
  const pushed = Date.now();
  await push([{ stream: { service: 'live', level: 'error' }, values: [[String(nowNs()), `ERROR ledger ${marker} went missing`]] }]);
  await page.locator('#fp-rows tr.fp-row', { hasText: marker }).first().waitFor({ timeout: 5000 });
  const liveMs = Date.now() - pushed;
  figure('a new fingerprint appears in the open list', `${liveMs} ms after its push`);
  check(liveMs < 2000, 'a new fingerprint is visible within 2 s');

  // 5. Detail: the chart draws as many points as the API's series, for each range.
  const traceId = searched[0];
  await page.goto(base + '/ui/fingerprints?q=StackOverflowError');
  await page.locator(`#fp-rows tr.fp-row[data-id="${traceId}"] a.fp-link`).click();
  await page.waitForURL(new RegExp('/ui/fingerprints/' + traceId + '$'));
  await page.locator('#fp-chart[data-points] canvas').waitFor({ timeout: 5000 });
  const detail = await apiGet('/api/v1/fingerprints/' + traceId);
  const points = Number(await page.getAttribute('#fp-chart', 'data-points'));
  check(points === detail.series.length && points === 60, `hour range: the chart draws ${points} points, the API's series has ${detail.series.length}`);
  check((await page.locator('#fp-template mark.var').count()) === detail.template.split('<*>').length - 1 &&
    (await page.locator('#fp-template').textContent()) === detail.template, 'the template is shown exactly as the API has it, each <*> highlighted');
  await shot('02-detail-trace-1280');
  await page.click('button[data-range="week"]');
  await page.waitForURL(/range=week/);
  const hourly = detail.series_hourly.filter((p) => Date.parse(p.hour) >= Date.now() - 7 * 86400e3).length;
  await waitFor(async () => Number(await page.getAttribute('#fp-chart', 'data-points')) === hourly, 3000, 'the week chart');
  const hourlySum = detail.series_hourly.reduce((a, p) => a + p.count, 0);
  check(hourly > 0 && hourlySum === detail.count, `week range: the chart draws ${hourly} points, as many as the API's hourly series, which holds all ${hourlySum} of ${detail.count} events`);
  check((await page.locator('ol.frames li').count()) > 0, 'the trace frames are listed');

  // 6. Suggestion requested and accepted through the UI.
  await page.click('#act-suggest');
  await waitFor(async () => (await apiGet('/api/v1/suggestions?fingerprint=' + traceId)).items.length > 0, 15000, 'the suggestion');
  check(llmRequests.length > 0 && !llmRequests.some((r) => r.body.includes(TOKENS.operator)), 'the suggestion came from the local LLM stand-in; the token never went there');
  await page.click('nav a[data-nav="suggestions"]');
  await page.waitForURL(/\/ui\/suggestions/);
  const sid = String((await apiGet('/api/v1/suggestions?fingerprint=' + traceId)).items[0].id);
  const card = page.locator(`article.suggestion[data-id="${sid}"]`);
  await card.waitFor({ timeout: 5000 });
  await card.locator('button', { hasText: 'Preview prompt' }).click();
  await page.locator('#preview-body').waitFor({ timeout: 5000 });
  check((await page.locator('#preview-body').textContent()).includes('getImplementedInterfaces'), 'the prompt preview shows the request body');
  await shot('03-suggestions-1280');
  await card.locator('textarea').fill('matches the cycle we saw');
  await card.locator('button.accept').click();
  const accepted = await waitFor(async () => {
    const s = await apiGet('/api/v1/suggestions/' + sid);
    return s.status === 'accepted' ? s : null;
  }, 5000, 'the suggestion to be accepted');
  check(accepted.review.by === 'ui-operator' && accepted.review.comment === 'matches the cycle we saw', 'accepting through the UI is recorded by the API (reviewer = token name, comment kept)');
  await page.locator('#calibration-chart canvas').waitFor({ timeout: 5000 });
  await waitFor(async () => (await page.locator('#brier').textContent()) !== '—', 5000, 'the calibration to count the review');
  await shot('04-suggestions-calibration-1280');

  // 7. Approve an approval on the Healing page.
  const approval = await waitFor(async () => (await apiGet('/api/v1/approvals?status=pending')).approvals[0], 15000, 'a pending approval');
  await page.click('nav a[data-nav="healing"]');
  await page.waitForURL(/\/ui\/healing/);
  const arow = page.locator(`tr.approval-row[data-id="${approval.id}"]`);
  await arow.waitFor({ timeout: 5000 });
  await shot('05-healing-1280');
  await arow.locator('input.approval-note').fill('go ahead');
  await arow.locator('button.approve').click();
  const decided = await waitFor(async () => (await apiGet('/api/v1/approvals?status=all')).approvals.find((a) => a.id === approval.id && a.status !== 'pending'), 5000, 'the approval decision');
  // The healer may use the approval at once: 'consumed' is an approved approval that a run has taken.
  check(['approved', 'consumed'].includes(decided.status) && decided.decided_by === 'ui-operator' && decided.note === 'go ahead', `approving through the UI is recorded by the API (${decided.status} by ${decided.decided_by})`);
  await page.fill('#sim-fp', approval.fingerprint_id);
  await page.click('form:has(#sim-fp) button[type=submit]');
  await page.locator('#sim-out pre').waitFor({ timeout: 5000 });
  check((await page.locator('#sim-out').textContent()).includes('restart-billing'), 'the simulate form shows the matching strategy');

  // 8. Resolve, ignore and merge through the detail page.
  const [resolveId, ignoreId, mergeId, targetId] = top.filter((id) => id !== traceId).slice(0, 4);
  await page.goto(base + '/ui/fingerprints/' + resolveId);
  await page.click('#act-resolve');
  await waitFor(async () => (await apiGet('/api/v1/fingerprints/' + resolveId)).status === 'resolved', 5000, 'resolve');
  check(true, 'resolve through the UI: the API says resolved');
  await page.locator('#audit-table td', { hasText: 'resolve' }).first().waitFor({ timeout: 5000 });
  check(true, 'the audit trail on the page shows the resolve');
  await page.goto(base + '/ui/fingerprints/' + ignoreId);
  await page.selectOption('#ignore-kind', 'for');
  await page.fill('#ignore-value', '2h');
  await page.click('#act-ignore');
  await waitFor(async () => (await apiGet('/api/v1/fingerprints/' + ignoreId)).status === 'ignored', 5000, 'ignore');
  check(true, 'ignore for 2h through the UI: the API says ignored');
  await page.goto(base + '/ui/fingerprints/' + mergeId);
  await page.fill('#merge-into', targetId);
  await page.click('#act-merge');
  await waitFor(async () => (await apiGet('/api/v1/fingerprints/' + mergeId)).merged_into === targetId, 5000, 'merge');
  check((await apiGet('/api/v1/fingerprints/' + targetId)).merged_from.includes(mergeId), 'merge through the UI: the API shows it merged into the target');
  await page.locator('#act-unmerge').waitFor({ timeout: 5000 });
  await shot('06-detail-merged-1280');

  // 9. Bulk resolve with the keyboard: j, x, j, x, then the button.
  await page.goto(base + '/ui/fingerprints?status=unresolved');
  const un = await sameOrder('&status=unresolved');
  await page.keyboard.press('j'); await page.keyboard.press('x');
  await page.keyboard.press('j'); await page.keyboard.press('x');
  await page.click('#bulk-resolve');
  await waitFor(async () => (await Promise.all(un.slice(0, 2).map((id) => apiGet('/api/v1/fingerprints/' + id)))).every((f) => f.status === 'resolved'), 5000, 'bulk resolve');
  check(true, 'keyboard selection + bulk resolve: the API says both resolved');
  await page.keyboard.press('/');
  check(await page.evaluate(() => document.activeElement && document.activeElement.id === 'search'), '"/" focuses the search box');

  // 10. A write without the token is refused and the UI says so; a viewer token gets 403.
  const victim = un[2];
  await page.goto(base + '/ui/fingerprints/' + victim);
  await page.locator('#act-resolve').waitFor();
  await page.evaluate(() => sessionStorage.removeItem('selfheal.token'));
  await page.click('#act-resolve');
  await page.locator('#notice.error').waitFor({ timeout: 5000 });
  const refused = await noticeText();
  check(refused.includes('Refused (401)'), `a write without the token: the UI says "${refused}"`);
  check((await apiGet('/api/v1/fingerprints/' + victim)).status === 'unresolved', 'the refused write changed nothing (API)');
  await shot('07-refused-without-token-1280');
  if (await page.locator('#token-dialog[open]').count()) await page.keyboard.press('Escape');
  await page.evaluate((t) => sessionStorage.setItem('selfheal.token', t), TOKENS.viewer);
  await page.reload();
  await page.locator('#act-resolve').waitFor();
  await page.click('#act-resolve');
  await page.waitForFunction(() => document.querySelector('#notice').textContent.includes('Refused (403)'), null, { timeout: 5000 });
  check((await apiGet('/api/v1/fingerprints/' + victim)).status === 'unresolved', 'a viewer token: the UI says Refused (403) and nothing changed');
  await page.evaluate((t) => sessionStorage.setItem('selfheal.token', t), TOKENS.operator);

  // 11. Ingest page; then every page at 1920 px in dark mode.
  await page.goto(base + '/ui/ingest');
  await page.locator('text=lines,').first().waitFor({ timeout: 5000 });
  check((await page.locator('main').textContent()).includes('hdfs'), 'the ingest page lists lines and events per source and service');
  await shot('08-ingest-1280');
  const dark = await browser.newContext({ viewport: { width: 1920, height: 1080 }, colorScheme: 'dark' });
  dark.on('request', (r) => requests.push(r.url()));
  await dark.addInitScript((t) => sessionStorage.setItem('selfheal.token', t), TOKENS.operator);
  const dp = await dark.newPage();
  dp.on('pageerror', (e) => pageErrors.push(e.message));
  for (const [name, url, sel] of [['fingerprints', '/ui/fingerprints', '#fp-rows tr.fp-row'], ['detail', '/ui/fingerprints/' + traceId, '#fp-chart canvas'],
    ['healing', '/ui/healing', '#approvals-table'], ['suggestions', '/ui/suggestions?status=accepted', '#calibration-chart canvas'], ['ingest', '/ui/ingest', 'main table']]) {
    await dp.goto(base + url);
    await dp.locator(sel).first().waitFor({ timeout: 5000 });
    await shot(`09-${name}-1920-dark`, dp);
    const stray = await dp.evaluate(() => {  // a null or undefined that reached the page as text (outside JSON views)
      const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
      const bad = [];
      for (let n = walker.nextNode(); n; n = walker.nextNode())
        if (!n.parentElement.closest('pre') && /^(null|undefined|NaN)$|\b(undefined|NaN)\b/.test(n.textContent.trim())) bad.push(n.textContent.trim());
      return bad;
    });
    check(stray.length === 0, `the ${name} page shows no stray null/undefined/NaN` + (stray.length ? ': ' + stray.slice(0, 3).join(' | ') : ''));
  }
  check(await dp.evaluate(() => getComputedStyle(document.body).backgroundColor !== 'rgb(246, 247, 249)'), 'dark mode changes the colours');
  await dark.close();

  // 12. Every request went to 127.0.0.1.
  const foreign = requests.filter((u) => { try { return new URL(u).hostname !== '127.0.0.1'; } catch { return true; } });
  figure('requests made by the pages', `${requests.length}, of which ${foreign.length} not to 127.0.0.1`);
  check(requests.length > 50 && foreign.length === 0, 'no request leaves 127.0.0.1' + (foreign.length ? ': ' + foreign.slice(0, 5).join(' ') : ''));
  check(pageErrors.length === 0, 'no script errors in the pages' + (pageErrors.length ? ': ' + pageErrors.slice(0, 5).join(' | ') : ''));
  check(!serveLog.includes(TOKENS.operator) && !serveLog.includes(TOKENS.viewer), 'no token appears in the server log');
  figure('screenshots', fs.readdirSync(OUT).filter((f) => f.endsWith('.png')).map((f) => path.join(OUT, f)).join(' '));
}

// ---- main ----
try {
  const port = await waitFor(() => (serveLog.match(/Listening\. address=[^ ]*:(\d+)/) || [])[1], 15000, 'serve to listen');
  base = `http://127.0.0.1:${port}`;
  log('serve at', base, '· LLM stand-in at', llmUrl, '· artefacts in', OUT);
  await run();
} catch (e) {
  failures.push('error: ' + (e.stack || e.message));
  log('ERROR', e.stack || e.message);
  log('serve log (last 3000 bytes):\n' + serveLog.slice(-3000));
} finally {
  await cleanup();
}
for (const f of figures) console.log('ui_test: FIGURE ' + f);
if (failures.length) {
  console.log(`ui_test: ${failures.length} failure(s):\n  ` + failures.join('\n  '));
  process.exit(1);
}
console.log('ui_test: all checks passed');
