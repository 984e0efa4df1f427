// Suggestions: the review queue, accept / reject / apply with a comment, the exact prompt preview and
// the calibration chart (accept rate against confidence, Brier score).
import { api, enc, fill, fmt, h, liveView, section, table, time, write } from './core.js';
import { calibrationChart } from './charts.js';

export async function suggestionsPage(ctx) {
  const { main, params, poller, navigate } = ctx;
  document.title = 'Suggestions · selfheal';
  const status = params.get('status') || 'proposed';
  const filter = h('label', {}, 'Show ', h('select', { id: 'sugg-status', on: { change: (e) => navigate('/ui/suggestions?status=' + enc(e.target.value)) } },
    ['proposed', 'accepted', 'rejected', 'applied'].map((s) => h('option', { value: s, selected: s === status }, s))));
  const queue = section('Review queue', 160);
  const preview = section('Prompt preview', 60);
  const calib = section('Calibration', 280);
  main.append(h('h1', { class: 'page-title' }, 'Suggestions'), h('div', { class: 'filters' }, filter), queue, h('div', { class: 'grid2' }, calib, preview));

  function card(s) {
    const comment = h('textarea', { rows: 2, cols: 40, placeholder: 'comment', 'aria-label': 'comment', class: 'review-comment' });
    const review = (how, done) => async () => {
      if (await write(`/api/v1/suggestions/${s.id}/${how}`, { comment: comment.value }, done)) { load.reset(); await load(); await loadCalibration(); }
    };
    const pct = Math.round(s.confidence * 100);
    const bar = h('span', { class: 'conf-bar' }, h('span', { class: 'conf-fill' }));
    bar.firstChild.style.width = pct + '%';
    return h('article', { class: 'card suggestion', dataset: { id: String(s.id) } },
      h('h3', {}, s.summary || '(no summary)'),
      h('p', { class: 'meta' }, 'for ', h('a', { href: '/ui/fingerprints/' + enc(s.fingerprint_id) }, h('code', {}, s.fingerprint_id)),
        ' · ', time(s.created_at), ' · ', s.provider, ' ', s.model, ' · ', h('span', { class: 'status ' + s.status }, s.status)),
      h('p', {}, 'Confidence ', bar, ' ', h('strong', {}, pct + ' %'), ` (model said ${Math.round(s.model_confidence * 100)} %)`),
      h('h4', {}, 'Root cause'), h('p', { class: 'prose' }, s.root_cause),
      h('h4', {}, 'Suggested fix'), h('pre', { class: 'msg' }, s.suggested_fix),
      h('h4', {}, 'Evidence'), h('ul', {}, (s.evidence || []).map((e) => h('li', {}, typeof e === 'string' ? e : JSON.stringify(e)))),
      s.review && s.review.by ? h('p', { class: 'muted' }, `Reviewed by ${s.review.by}: ${s.review.comment}`) : null,
      h('div', { class: 'buttons' }, comment,
        s.status === 'proposed' ? h('button', { type: 'button', class: 'accept', on: { click: review('accept', 'Suggestion accepted.') } }, 'Accept') : null,
        s.status === 'proposed' ? h('button', { type: 'button', class: 'reject', on: { click: review('reject', 'Suggestion rejected.') } }, 'Reject') : null,
        s.status === 'accepted' ? h('button', { type: 'button', class: 'apply', on: { click: review('apply', 'Marked as applied.') } }, 'Mark applied') : null,
        h('button', { type: 'button', on: { click: () => showPreview(s.fingerprint_id) } }, 'Preview prompt')));
  }

  const load = liveView(queue.body, '/api/v1/suggestions?limit=50&status=' + enc(status), (r) =>
    r.items.length ? h('div', { id: 'suggestion-list' }, r.items.map(card)) : h('p', { class: 'muted' }, `No ${status} suggestions.`));

  const loadCalibration = liveView(calib.body, '/api/v1/suggestions/calibration', (c) => {
    const box = h('div', { class: 'chart', id: 'calibration-chart' });
    calib.body.append(
      h('p', {}, `${fmt(c.reviewed)} reviewed, ${fmt(c.accepted)} accepted · Brier score `, h('strong', { id: 'brier' }, c.reviewed ? c.brier.toFixed(3) : '—'), ' (0 is perfect)'),
      box,
      table(['confidence', 'reviewed', 'accepted', 'accept rate'], c.buckets.map((b) => h('tr', {},
        h('td', {}, `${Math.round(b.lo * 100)}–${Math.round(b.hi * 100)} %`), h('td', { class: 'num' }, b.reviewed), h('td', { class: 'num' }, b.accepted),
        h('td', { class: 'num' }, b.reviewed ? Math.round(b.accept_rate * 100) + ' %' : '—')))));
    calibrationChart(box, c.buckets);
    return null;
  });

  const fpInput = h('input', { id: 'preview-fp', placeholder: 'fingerprint id', size: 24, value: params.get('preview') || '', autocomplete: 'off' });
  const out = h('div', { id: 'preview-out' });
  async function showPreview(id) {
    fpInput.value = id;
    await fill(out, async () => {
      const body = await api('/api/v1/fingerprints/' + enc(id) + '/suggest/preview');
      return h('div', {}, h('p', { class: 'muted' }, 'Exactly what would be sent to the model (secrets redacted); nothing was sent.'),
        h('pre', { class: 'explain', id: 'preview-body' }, JSON.stringify(body, null, 2)));
    });
  }
  preview.body.append(h('form', { class: 'buttons', on: { submit: (e) => { e.preventDefault(); if (fpInput.value.trim()) showPreview(fpInput.value.trim()); } } },
    fpInput, h('button', { type: 'submit' }, 'Preview')), out);

  await Promise.all([load(), loadCalibration()]);
  if (params.get('preview')) showPreview(params.get('preview'));
  poller.every(2000, load);
  return null;
}
