// Healing: strategies with their guards and live state, approvals, run history, the simulate form.
import { api, enc, fill, fmt, h, liveView, section, table, time, write } from './core.js';

function guardText(g) {
  const parts = [];
  if (g.cooldown_secs) parts.push(`cooldown ${g.cooldown_secs}s`);
  if (g.max_runs) parts.push(`≤${g.max_runs} runs / ${g.per_secs}s`);
  if (g.max_concurrent) parts.push(`≤${g.max_concurrent} at once`);
  if (g.breaker && g.breaker.failures) parts.push(`breaker ${g.breaker.failures} failures → open ${g.breaker.open_secs}s`);
  return parts.join(', ') || 'none';
}

function matchText(m) {
  return Object.entries(m).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ') || 'everything';
}

function fpLink(id) {
  return id ? h('a', { href: '/ui/fingerprints/' + enc(id) }, h('code', {}, id)) : '';
}

export async function healingPage(ctx) {
  const { main, poller } = ctx;
  document.title = 'Healing · selfheal';
  const rules = section('Strategies', 80);
  const state = section('Live guard state', 60);
  const approvals = section('Pending approvals', 60);
  const runs = section('Run history', 200);
  const sim = section('Simulate', 60);
  main.append(h('h1', { class: 'page-title' }, 'Healing'), approvals, rules, h('div', { class: 'grid2' }, state, sim), runs);

  await fill(rules.body, async () => {
    const r = await api('/api/v1/healing/rules');
    return h('div', {},
      h('p', { class: 'muted' }, `healer ${r.enabled ? 'enabled' : 'disabled'}${r.dry_run ? ', dry run' : ''}`),
      table(['strategy', 'priority', 'match', 'actions', 'guards', 'approval'], r.rules.map((s) => h('tr', {},
        h('td', {}, s.name, s.enabled ? '' : ' (off)', s.dry_run ? ' (dry run)' : ''), h('td', { class: 'num' }, s.priority),
        h('td', {}, matchText(s.match)), h('td', {}, s.actions.map((a) => a.name || a.type).join(' → ')),
        h('td', {}, guardText(s.guards)), h('td', {}, s.requires_approval ? `required (${s.approval_ttl_secs}s)` : 'no')))));
  });

  function approvalRow(a) {
    const note = h('input', { 'aria-label': 'note', placeholder: 'note', size: 16, class: 'approval-note' });
    const decide = (how) => async () => {
      if (await write(`/api/v1/approvals/${a.id}/${how}`, { note: note.value }, `Approval ${a.id} ${how === 'approve' ? 'approved' : 'rejected'}.`)) await loadApprovals();
    };
    return h('tr', { class: 'approval-row', dataset: { id: String(a.id) } },
      h('td', { class: 'num' }, a.id), h('td', {}, a.strategy), h('td', {}, fpLink(a.fingerprint_id)), h('td', {}, a.target),
      h('td', {}, a.action), h('td', {}, time(a.created_at)), h('td', {}, time(a.expires_at)),
      h('td', { class: 'buttons' }, note,
        h('button', { type: 'button', class: 'approve', on: { click: decide('approve') } }, 'Approve'),
        h('button', { type: 'button', class: 'reject', on: { click: decide('reject') } }, 'Reject')));
  }

  const loadApprovals = liveView(approvals.body, '/api/v1/approvals?status=pending', (a) =>
    table(['id', 'strategy', 'fingerprint', 'target', 'action', 'asked', 'expires', ''], a.approvals.map(approvalRow), { id: 'approvals-table' }));

  const loadState = liveView(state.body, '/api/v1/healing/state', (s) => h('div', {},
      h('h3', {}, 'Breakers'),
      table(['strategy', 'target', 'phase', 'failures', 'reopens'], s.breakers.map((b) => h('tr', {},
        h('td', {}, b.strategy), h('td', {}, b.target), h('td', {}, h('span', { class: 'badge ' + b.phase }, b.phase)),
        h('td', { class: 'num' }, b.consecutive_failures), h('td', {}, time(b.reopens_at))))),
      h('h3', {}, 'Throttles'),
      table(['strategy', 'action', 'target', 'status', 'restore at'], s.throttles.map((t) => h('tr', {},
        h('td', {}, t.strategy), h('td', {}, t.action), h('td', {}, t.target), h('td', {}, t.status), h('td', {}, time(t.restore_at))))),
      h('h3', {}, 'Failovers'),
      table(['key', 'active', 'previous', 'switched', 'last result'], s.failover.map((f) => h('tr', {},
        h('td', {}, f.key), h('td', {}, f.active), h('td', {}, f.previous), h('td', {}, time(f.switched_at)), h('td', {}, f.last_result))))));

  const loadRuns = liveView(runs.body, '/api/v1/healing/runs?limit=50', (r) => table(['when', 'strategy', 'fingerprint', 'action', 'decision', 'reason', 'outcome', 'times'], r.runs.map((x) => h('tr', {},
      h('td', {}, time(x.last_ts)), h('td', {}, x.strategy), h('td', {}, fpLink(x.fingerprint_id)), h('td', {}, x.action || x.action_type),
      h('td', {}, x.decision), h('td', {}, x.reason, x.detail ? h('div', { class: 'sub' }, x.detail) : null), h('td', {}, x.outcome),
      h('td', { class: 'num' }, fmt(x.count))))));

  const fpInput = h('input', { id: 'sim-fp', placeholder: 'fingerprint id', size: 24, required: true, autocomplete: 'off' });
  const svcInput = h('input', { id: 'sim-service', placeholder: 'service (optional)', size: 14 });
  const simOut = h('div', { class: 'sim-out', id: 'sim-out' });
  sim.body.append(h('form', { class: 'buttons', on: { submit: async (e) => {
    e.preventDefault();
    await fill(simOut, async () => {
      const r = await api('/api/v1/healing/simulate', { method: 'POST', body: { fingerprint_id: fpInput.value.trim(), service: svcInput.value.trim() || undefined } });
      return h('div', {},
        h('p', {}, r.strategy ? `Strategy ${r.strategy} would ${r.decision.verdict} (${r.decision.reason}). Nothing was run.` : 'No strategy matches. Nothing was run.'),
        h('pre', { class: 'explain' }, JSON.stringify(r, null, 2)));
    });
  } } }, fpInput, svcInput, h('button', { type: 'submit' }, 'Simulate')), simOut);

  await Promise.all([loadApprovals(), loadState(), loadRuns()]);
  poller.every(2000, async () => { await loadApprovals(); await loadState(); await loadRuns(); });
  return null;
}
