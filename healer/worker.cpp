#include "healer/worker.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "healer/actions/exec_action.hpp"
#include "healer/actions/failover.hpp"
#include "healer/actions/http_action.hpp"
#include "schema/log.hpp"
#include "schema/time_format.hpp"

namespace selfheal::healer {

namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::size_t max_output_excerpt = 2048;

std::string excerpt(const std::string& s) {
  if (s.size() <= max_output_excerpt) return s;
  return s.substr(0, max_output_excerpt) + "…";
}

Fields fields_from_json(const std::string& s) {
  Fields f;
  auto j = nlohmann::json::parse(s, nullptr, false);
  if (!j.is_object()) return f;
  for (auto& [k, v] : j.items())
    if (v.is_string()) f.emplace_back(k, v.get<std::string>());
  return f;
}

BreakerState to_state(const std::optional<BreakerRow>& row) {
  BreakerState b;
  if (!row) return b;
  b.phase = parse_breaker_phase(row->phase);
  b.consecutive_failures = row->consecutive_failures;
  b.opened_at = row->opened_at;
  b.trial_in_flight = row->trial_in_flight;
  b.opens = row->opens;
  return b;
}

BreakerRow to_row(const Plan& p, const BreakerState& b, UnixMs now) {
  return BreakerRow{
      p.strategy, p.target, std::string(to_string(b.phase)), b.consecutive_failures, b.opened_at, b.trial_in_flight,
      b.opens,    now};
}

std::string describe_plan(const Plan& p) {
  nlohmann::json j;
  j["strategy"] = p.strategy;
  j["fingerprint_id"] = p.fingerprint_id;
  j["target"] = p.target;
  j["service"] = p.service;
  j["host"] = p.host;
  j["step"] = p.step;
  j["action"] = p.action.name;
  j["type"] = p.action.type;
  const ActionDescription d = p.impl->describe(p);
  if (!d.argv.empty()) j["argv"] = d.argv;
  if (!d.method.empty()) j["method"] = d.method;
  if (!d.url.empty()) j["url"] = d.url;
  if (!d.body.empty()) j["body"] = d.body;
  if (!d.level.empty()) j["level"] = d.level;
  if (!d.targets.empty()) j["targets"] = d.targets;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Result<std::unique_ptr<Worker>> Worker::create(HealerConfig cfg, WorkerDeps deps) {
  auto s = build_strategies(cfg, deps.actions);
  if (!s) return s.error();
  return std::unique_ptr<Worker>(new Worker(std::move(cfg), deps, std::move(s.value())));
}

Worker::Worker(HealerConfig cfg, WorkerDeps deps, std::vector<std::unique_ptr<Strategy>> strategies)
    : cfg_(std::move(cfg)),
      deps_(deps),
      strategies_(std::move(strategies)),
      notifier_(cfg_.notify),
      env_{deps_.clock, deps_.metrics, deps_.state, notifier_, deps_.suggester, cfg_.notify.link_base_url, {}, {}} {
  env_.page = [this](const Notification& n, const std::vector<std::string>& only, const Plan& p) {
    return send_page(n, only, p.fingerprint_id, p.target);
  };
  env_.warn = [this](const char* what, const Error& e) { warn_store(what, e); };
  auto_heals_ = &deps_.metrics.counter("selfheal_healer_auto_heals_total",
                                       "Healing actions whose effect was verified (the error rate dropped).");
  circuit_breaks_ = &deps_.metrics.counter("selfheal_healer_circuit_breaks_total",
                                           "Circuit breakers that opened (escalated to a human).");
  history_write_errors_ = &deps_.metrics.counter("selfheal_healer_history_write_errors_total",
                                                 "Healer history or state writes that failed (each is logged).");
  for (const auto& s : strategies_)
    deps_.metrics.gauge("selfheal_healer_breaker_state",
                        "Worst circuit breaker state per strategy: 0 closed, 1 half-open, 2 open.",
                        {{"strategy", std::string(s->name())}});
  if (auto rows = deps_.state.breakers()) {
    for (const auto& r : *rows) {
      const double v = r.phase == "open" ? 2 : r.phase == "half_open" ? 1 : 0;
      auto& g = deps_.metrics.gauge("selfheal_healer_breaker_state",
                                    "Worst circuit breaker state per strategy: 0 closed, 1 half-open, 2 open.",
                                    {{"strategy", r.strategy}});
      g.set(std::max(g.value(), v));
    }
  }
}

Worker::~Worker() {
  stop();
}

void Worker::start() {
  std::lock_guard l(mu_);
  if (started_) return;
  started_ = true;
  // Verifications left pending by a previous process: resume them from the stored series.
  if (auto pending = deps_.log.pending_verifications()) {
    for (const auto& r : *pending) {
      const Strategy* s = strategy_by_name(r.strategy);
      if (!s) continue;
      VerifyTask t;
      t.run_id = r.id;
      FingerprintFacts f;
      f.summary.id = r.fingerprint_id;
      if (r.target.rfind("fingerprint:", 0) != 0) f.service = r.target;  // the scope it ran for
      t.plan = s->plan(f, r.step);
      t.plan.target = r.target;
      t.started = r.ts;
      t.ended = r.ts + r.duration_ms;
      t.due = t.ended + t.plan.verification.window_secs * 1000;
      t.before_per_min = r.rate_before;
      verifications_.push_back(std::move(t));
    }
  }
  // Runs a previous process left "running" (stopped or killed mid-action) are closed as interrupted,
  // and a half-open trial they held is released so the breaker can try again.
  RunQuery running;
  running.outcome = "running";
  running.limit = 1000;
  if (auto rows = deps_.log.runs(running)) {
    for (auto r : *rows) {
      r.outcome = "error";
      r.error = "interrupted: the process stopped while the action was running";
      record_update(r, "close an interrupted run");
    }
  }
  if (auto rows = deps_.state.breakers()) {
    for (auto b : *rows) {
      if (!b.trial_in_flight) continue;
      b.trial_in_flight = false;
      if (auto w = deps_.state.save_breaker(b); !w) warn_store("release a breaker trial", w.error());
    }
  }
  const int n = std::max(1, cfg_.worker_threads);
  for (int i = 0; i < n; ++i) executors_.emplace_back([this](std::stop_token st) { executor(st); });
  loop_ = std::jthread([this](std::stop_token st) { loop(st); });
}

void Worker::stop() {
  {
    std::lock_guard l(mu_);
    if (!started_) return;
    started_ = false;
  }
  loop_.request_stop();
  for (auto& e : executors_) e.request_stop();
  cv_.notify_all();
  jobs_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  for (auto& e : executors_)
    if (e.joinable()) e.join();
  executors_.clear();
}

void Worker::enqueue(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  {
    std::lock_guard l(mu_);
    for (const auto& id : ids) queue_[id];
  }
  cv_.notify_all();
}

void Worker::enqueue(const std::vector<TouchedScope>& touched) {
  if (touched.empty()) return;
  {
    std::lock_guard l(mu_);
    for (const auto& t : touched) {
      auto& scopes = queue_[t.id];
      auto it = std::find_if(scopes.begin(), scopes.end(),
                             [&](const TriggerScope& s) { return s.service == t.service && s.host == t.host; });
      if (it != scopes.end())
        it->count += t.count;
      else if (scopes.size() < 64)
        scopes.push_back(TriggerScope{t.service, t.host, t.count});
    }
  }
  cv_.notify_all();
}

void Worker::wake() {
  cv_.notify_all();
}

int Worker::in_flight() const {
  std::lock_guard l(mu_);
  int n = 0;
  for (const auto& [t, c] : in_flight_) n += c;
  return n;
}

const Strategy* Worker::strategy_by_name(const std::string& name) const {
  for (const auto& s : strategies_)
    if (s->name() == name) return s.get();
  return nullptr;
}

void Worker::loop(std::stop_token st) {
  UnixMs last_tick = 0;
  while (!st.stop_requested()) {
    std::map<std::string, std::vector<TriggerScope>> batch;
    std::vector<Escalation> escalations;
    {
      std::unique_lock l(mu_);
      cv_.wait_for(l, st, std::chrono::milliseconds(std::max<std::int64_t>(cfg_.tick_ms, 10)),
                   [&] { return !queue_.empty() || !escalations_.empty(); });
      if (st.stop_requested()) break;
      batch.swap(queue_);
      escalations.swap(escalations_);
    }
    for (const auto& e : escalations) {
      const Strategy* s = strategy_by_name(e.strategy);
      // The episode stays marked while its next step runs; released here when nothing was queued.
      if (!s || !evaluate(e.fingerprint_id, e.scope, s, e.step, true)) {
        std::lock_guard l(mu_);
        escalating_.erase({e.strategy, e.fingerprint_id, e.target});
      }
    }
    for (const auto& [id, scopes] : batch) {
      if (st.stop_requested()) break;
      if (scopes.empty()) {
        evaluate(id, TriggerScope{});
        continue;
      }
      // One decision per service of the triggering events; its busiest host fills {host}.
      std::map<std::string, TriggerScope> per_service;
      for (const auto& sc : scopes) {
        auto [it, fresh] = per_service.try_emplace(sc.service, sc);
        if (!fresh && sc.count > it->second.count) {
          it->second.host = sc.host;
          it->second.count = sc.count;
        }
      }
      for (const auto& [service, sc] : per_service) evaluate(id, sc);
    }
    const UnixMs now = deps_.clock.now_ms();
    if (batch.empty() || now - last_tick >= cfg_.tick_ms) {
      tick();
      last_tick = now;
    }
  }
}

void Worker::tick() {
  const UnixMs now = deps_.clock.now_ms();
  std::vector<VerifyTask> due;
  {
    std::lock_guard l(mu_);
    auto it =
        std::partition(verifications_.begin(), verifications_.end(), [&](const VerifyTask& t) { return t.due > now; });
    due.assign(std::make_move_iterator(it), std::make_move_iterator(verifications_.end()));
    verifications_.erase(it, verifications_.end());
  }
  for (const auto& t : due) verify(t);
  handle_approvals();
  restore_throttles();
}

Result<FingerprintFacts> Worker::facts(const std::string& id, const TriggerScope& scope) {
  FingerprintFacts f;
  f.service = scope.service;
  f.host = scope.host;
  f.now = deps_.clock.now_ms();
  auto s = deps_.query.fingerprint(id);
  if (!s) return s.error();
  if (!*s) return make_error(ErrorCode::not_found, "fingerprint " + id + " not found");
  f.summary = std::move(**s);
  std::int64_t span =
      (static_cast<std::int64_t>(cfg_.escalation.short_window_min) + cfg_.escalation.baseline_min + 1) * minute_ms;
  for (const auto& st : cfg_.strategies) span = std::max(span, st.match.rate_window_secs * 1000);
  const UnixMs from = f.now - span - minute_ms;
  auto series = deps_.query.series(id, from - from % minute_ms, f.now + minute_ms);
  if (series) f.series = std::move(*series);
  auto samples = deps_.query.samples(id, 6);
  if (samples) {
    // No scope given (an approval, a tool): the newest event's own service and host stand in.
    const StoredSample* newest = nullptr;
    for (const auto& smp : *samples)
      if (!newest || smp.ts > newest->ts) newest = &smp;
    if (scope.service.empty() && newest) {
      f.service = newest->service;
      f.host = newest->host;
    }
    for (auto& smp : *samples) f.samples.push_back(std::move(smp.message));
  }
  return f;
}

Result<PolicyState> Worker::gather_state(const Plan& plan) {
  PolicyState st;
  const UnixMs now = deps_.clock.now_ms();
  auto last = deps_.log.last_run(plan.strategy, plan.target, plan.remediation);
  if (!last) return last.error();
  st.last_run_at = *last;
  if (plan.guards.max_runs > 0 && plan.guards.per_secs > 0) {
    auto times = deps_.log.run_times(plan.strategy, now - plan.guards.per_secs * 1000, plan.remediation);
    if (!times) return times.error();
    st.window_runs = std::move(*times);
  }
  {
    std::lock_guard l(mu_);
    auto it = in_flight_.find(plan.target);
    st.in_flight_on_target = it == in_flight_.end() ? 0 : it->second;
  }
  auto b = deps_.state.breaker(plan.strategy, plan.target);
  if (!b) return b.error();
  st.breaker = to_state(*b);
  if (plan.requires_approval) {
    auto a = deps_.approvals.latest_approval(plan.strategy, plan.fingerprint_id, plan.step);
    if (!a) return a.error();
    if (*a) {
      st.approval.id = (*a)->id;
      st.approval.status = parse_approval_status((*a)->status);
      st.approval.expires_at = (*a)->expires_at;
      st.approval.decided_at = (*a)->decided_at;
    }
  }
  return st;
}

void Worker::count_decision(const std::string& decision, const std::string& reason) {
  deps_.metrics
      .counter("selfheal_healer_decisions_total", "Healer decisions by decision and skip reason.",
               {{"decision", decision}, {"reason", reason}})
      .inc();
}

void Worker::record_skip(const Plan& plan, const Decision& d, std::int64_t approval_id) {
  HealingRun r;
  r.ts = deps_.clock.now_ms();
  r.strategy = plan.strategy;
  r.fingerprint_id = plan.fingerprint_id;
  r.target = plan.target;
  r.action = plan.action.name;
  r.action_type = plan.action.type;
  r.step = plan.step;
  r.decision = "skipped";
  r.reason = std::string(to_string(d.reason));
  r.detail = d.detail;
  r.dry_run = d.reason == SkipReason::dry_run;
  r.approval_id = approval_id;
  r.remediation = plan.remediation;
  if (auto a = deps_.log.append_skip(r); !a) warn_store("record a skip", a.error());
  count_decision("skipped", r.reason);
}

void Worker::warn_store(const char* what, const Error& e) {
  history_write_errors_->inc();
  static log::RateLimit rl(10);
  std::uint64_t suppressed = 0;
  if (rl.allow(suppressed))
    spdlog::warn("Healer could not write its history or state. what=\"{}\" error=\"{}\" suppressed={}", what,
                 e.message, suppressed);
}

Result<std::int64_t> Worker::record(const HealingRun& r, const char* what) {
  auto a = deps_.log.append(r);
  if (!a) warn_store(what, a.error());
  return a;
}

void Worker::record_update(const HealingRun& r, const char* what) {
  if (auto u = deps_.log.update(r); !u) warn_store(what, u.error());
}

ActionOutcome Worker::notify_approval(const ApprovalRow& a, const Plan& plan) {
  if (!cfg_.notify.notify_approvals || cfg_.notify.channels.empty()) {
    ActionOutcome none;
    none.success = true;
    none.output = "no notify channel configured";
    return none;
  }
  Notification n = notification(plan, "approval_request",
                                "Approval needed: " + plan.action.name + " (" + plan.action.type + ") on " + plan.target);
  n.level = "warning";
  const ActionDescription desc = plan.impl->describe(plan);
  std::string what = plan.action.type;
  if (!desc.argv.empty()) {
    what.clear();
    for (const auto& el : desc.argv) what += (what.empty() ? "" : " ") + el;
  } else if (!desc.url.empty()) {
    what = desc.method + " " + desc.url;
  }
  const std::string expires = format_rfc3339(a.expires_at);
  n.text = "who: strategy " + plan.strategy + " on " + plan.target + (plan.host.empty() ? "" : "@" + plan.host) +
           "\nwhat: " + what + "\nwhy: fingerprint " + plan.fingerprint_id + " (" + plan.field("count") +
           " events): " + plan.field("template") + "\nexpires: " + expires + "\napprove: selfheal approve " +
           std::to_string(a.id) + "  |  reject: selfheal reject " + std::to_string(a.id);
  n.extra = {{"approval_id", std::to_string(a.id)},
             {"expires_at", expires},
             {"command", what},
             {"approve", "POST /api/v1/approvals/" + std::to_string(a.id) + "/approve"},
             {"reject", "POST /api/v1/approvals/" + std::to_string(a.id) + "/reject"}};
  return notifier_.send(n, cfg_.notify.approval_channels, true);
}

void Worker::set_step(const Plan& p, int step) {
  if (auto w = deps_.state.set_escalation_step(p.strategy, p.fingerprint_id, p.target, step, deps_.clock.now_ms());
      !w)
    warn_store("persist the escalation step", w.error());
}

Notification Worker::notification(const Plan& p, std::string kind, std::string title) const {
  Notification n;
  n.kind = std::move(kind);
  n.level = p.action.type == "notify" ? p.action.level : "warning";
  n.title = std::move(title);
  n.fields = p.fields;
  n.now = deps_.clock.now_ms();
  n.link = fingerprint_link(cfg_.notify.link_base_url, p.fingerprint_id);
  return n;
}

ActionOutcome Worker::send_page(const Notification& n, const std::vector<std::string>& only, const std::string& fp,
                                const std::string& target) {
  const std::string& level = n.level;
  const UnixMs now = deps_.clock.now_ms();
  const std::int64_t cooldown_ms = cfg_.notify.page_cooldown_secs * 1000;
  std::vector<std::string> due;
  for (const auto& ch : notifier_.channels_for(level, only)) {
    auto last = deps_.state.timestamp("page:" + ch + ":" + fp + ":" + target);
    if (cooldown_ms > 0 && last && *last > 0 && now < *last + cooldown_ms) continue;
    due.push_back(ch);
  }
  ActionOutcome o;
  if (due.empty()) {
    o.error = notifier_.channels_for(level, only).empty() ? "no notify channel subscribed to level " + level
                                                          : "page_cooldown";
    return o;
  }
  o = notifier_.send(n, due);
  for (const auto& ch : o.delivered)
    if (auto w = deps_.state.set_timestamp("page:" + ch + ":" + fp + ":" + target, now); !w)
      warn_store("persist a page cooldown", w.error());
  return o;
}

bool Worker::evaluate(const std::string& id, const TriggerScope& scope, const Strategy* only, int step,
                      bool escalation) {
  struct Count {  // counted when the evaluation is complete (its job, if any, is queued)
    std::atomic<std::uint64_t>& n;
    ~Count() { ++n; }
  } count{evaluations_};
  auto f = facts(id, scope);
  if (!f) return false;
  const Strategy* s = only ? only : select_strategy(strategies_, *f);
  if (!s) return false;
  Plan plan = s->plan(*f, std::max(step, 0));
  if (step < 0) {  // where this (strategy, fingerprint, target)'s escalation episode is, across restarts
    auto persisted = deps_.state.escalation_step(plan.strategy, id, plan.target);
    if (!persisted) {
      spdlog::warn("Healer could not read its state; skipping this evaluation. error=\"{}\"",
                   persisted.error().message);
      return false;
    }
    {
      std::lock_guard l(mu_);
      if (escalating_.count({plan.strategy, id, plan.target})) return false;  // its queued escalation decides
    }
    step = *persisted;
    if (step >= s->steps()) step = 0;
    if (step > 0) plan = s->plan(*f, step);
  }
  if (step >= s->steps()) return false;
  auto st = gather_state(plan);
  if (!st) {
    spdlog::warn("Healer could not read its state; skipping this evaluation. error=\"{}\"", st.error().message);
    return false;
  }
  // Within an escalation episode the next (heavier) step follows at once: cooldown does not apply.
  if (escalation) st->last_run_at = 0;
  const UnixMs now = deps_.clock.now_ms();
  Decision d = decide(plan, *st, now);

  if (d.verdict == Verdict::skip) {
    if (d.reason == SkipReason::approval_expired)
      if (auto e = deps_.approvals.expire_approvals(now); !e) warn_store("expire approvals", e.error());
    record_skip(plan, d, st->approval.id);
    return false;
  }
  if (d.verdict == Verdict::request_approval) {
    ApprovalRow a;
    a.strategy = plan.strategy;
    a.fingerprint_id = plan.fingerprint_id;
    a.target = plan.target;
    a.step = plan.step;
    a.action = plan.action.name;
    a.plan_json = describe_plan(plan);
    a.created_at = now;
    a.expires_at = now + plan.approval_ttl_ms;
    auto aid = deps_.approvals.create_approval(a);
    if (!aid) {
      warn_store("create an approval", aid.error());
      return false;
    }
    a.id = *aid;
    a.status = "pending";
    HealingRun r;
    r.ts = now;
    r.strategy = plan.strategy;
    r.fingerprint_id = id;
    r.target = plan.target;
    r.action = plan.action.name;
    r.action_type = plan.action.type;
    r.step = plan.step;
    r.decision = "approval_requested";
    r.approval_id = a.id;
    r.detail = d.detail;
    // Sent before the row is written so the row says whether anyone was told.
    const ActionOutcome told = notify_approval(a, plan);
    r.output = told.output;
    r.error = told.error;
    if (!told.success)
      spdlog::warn("Healer could not send an approval request to every channel. approval_id={} error=\"{}\"", a.id,
                   told.error);
    (void)record(r, "record an approval request");
    count_decision("approval_requested", "");
    spdlog::info("Healer requested an approval. approval_id={} strategy={} fingerprint={} action={}", r.approval_id,
                 plan.strategy, id, plan.action.name);
    return false;
  }

  // Notify has its own anti-fatigue gate (threshold and cooldown per level and fingerprint); an
  // escalation page has its own cooldown per channel instead (send_page).
  if (plan.action.type == "notify" && !plan.page) {
    const LevelConfig lvl = notifier_.level(plan.action.level);
    auto last = deps_.state.timestamp("notify:" + plan.action.level + ":" + id);
    const auto gate = notify_gate(lvl, std::max(f->summary.total, f->summary.count), last ? *last : 0, now);
    if (!gate.allowed) {
      HealingRun r;
      r.ts = now;
      r.strategy = plan.strategy;
      r.fingerprint_id = id;
      r.target = plan.target;
      r.action = plan.action.name;
      r.action_type = plan.action.type;
      r.step = plan.step;
      r.decision = "skipped";
      r.reason = gate.reason;
      r.detail = "level " + plan.action.level + " threshold " + std::to_string(lvl.threshold) + ", cooldown " +
                 std::to_string(lvl.cooldown_secs) + "s";
      if (auto w = deps_.log.append_skip(r); !w) warn_store("record a skip", w.error());
      count_decision("skipped", gate.reason);
      return false;
    }
  }

  if (d.approved)
    if (auto c = deps_.approvals.consume_approval(st->approval.id); !c) warn_store("consume an approval", c.error());
  if (d.half_open_trial) {
    BreakerState b = st->breaker;
    b.phase = BreakerPhase::half_open;
    b.trial_in_flight = true;
    if (auto w = deps_.state.save_breaker(to_row(plan, b, now)); !w) {
      warn_store("mark a half-open trial", w.error());
      return false;  // without the mark a second trial could start: do not act
    }
  }
  Job job;
  job.plan = plan;
  job.trial = d.half_open_trial;
  job.escalation = escalation;
  job.fingerprint_count = f->summary.count;
  HealingRun& r = job.run;
  r.ts = now;
  r.strategy = plan.strategy;
  r.fingerprint_id = id;
  r.target = plan.target;
  r.action = plan.action.name;
  r.action_type = plan.action.type;
  r.step = plan.step;
  r.decision = "ran";
  r.outcome = "running";
  r.remediation = plan.remediation;
  r.approval_id = d.approved ? st->approval.id : 0;
  r.detail = d.detail;
  r.rate_before = rate_before(id, now, plan.verification.window_secs * 1000);
  auto rid = deps_.log.append(r);
  if (!rid) {
    warn_store("record a run (not acting)", rid.error());
    return false;
  }
  r.id = *rid;
  job.run_id = *rid;
  count_decision("ran", "");
  {
    std::lock_guard l(mu_);
    ++in_flight_[plan.target];
    jobs_.push_back(std::move(job));
  }
  jobs_cv_.notify_one();
  return true;
}

double Worker::rate_before(const std::string& fp, UnixMs start, std::int64_t window_ms) {
  const std::int64_t span = std::max(window_ms, minute_ms);
  UnixMs from = start - span;
  from -= ((from % minute_ms) + minute_ms) % minute_ms;
  auto series = deps_.query.series(fp, from, start + 1);
  if (!series) return 0;
  std::int64_t n = 0;
  for (const auto& m : *series) n += m.count;
  const double ms = static_cast<double>(std::max<std::int64_t>(start - from, 1));
  return static_cast<double>(n) * minute_ms / ms;
}

void Worker::executor(std::stop_token st) {
  while (!st.stop_requested()) {
    Job job;
    {
      std::unique_lock l(mu_);
      if (!jobs_cv_.wait(l, st, [&] { return !jobs_.empty(); })) break;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    execute(std::move(job), st);
  }
}

ActionOutcome Worker::perform(const Job& job, std::stop_token st) {
  return job.plan.impl->run(job.plan, env_, st);
}

void Worker::execute(Job job, std::stop_token st) {
  const Plan& p = job.plan;
  HealingRun& r = job.run;
  ActionOutcome o;
  std::int64_t total_ms = 0;
  for (int attempt = 0;; ++attempt) {
    o = perform(job, st);
    total_ms += o.duration_ms;
    r.attempts = attempt + 1;
    if (o.success || !o.transient || attempt >= p.action.retries || st.stop_requested()) break;
    double jitter;
    {
      std::lock_guard l(mu_);
      jitter = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    }
    const auto delay = backoff_ms(attempt + 1, p.action.backoff_initial_ms, p.action.backoff_max_ms, jitter);
    std::mutex m;
    std::unique_lock l(m);
    std::condition_variable_any cv;
    if (cv.wait_for(l, st, std::chrono::milliseconds(delay), [] { return false; })) break;
    if (st.stop_requested()) break;
  }
  const UnixMs ended = deps_.clock.now_ms();
  if (!o.success && st.stop_requested()) {
    // Shutdown, not a failure of the fix: recorded, but neither the breaker nor escalation sees it.
    r.outcome = "error";
    r.duration_ms = total_ms;
    r.exit_code = o.code;
    r.output = excerpt(o.output);
    r.error = "interrupted by shutdown: " + o.error;
    record_update(r, "record an interrupted run");
    if (job.trial) {
      auto b = deps_.state.breaker(p.strategy, p.target);
      if (b && *b) {
        BreakerRow row = **b;
        row.trial_in_flight = false;
        if (auto w = deps_.state.save_breaker(row); !w) warn_store("release a breaker trial", w.error());
      }
    }
    std::lock_guard l(mu_);
    if (--in_flight_[p.target] <= 0) in_flight_.erase(p.target);
    if (job.escalation) escalating_.erase({p.strategy, p.fingerprint_id, p.target});
    return;
  }
  r.outcome = o.success ? "success" : (o.code == -1 && o.output.empty() ? "error" : "failure");
  r.duration_ms = total_ms;
  r.exit_code = o.code;
  r.output = excerpt(o.output);
  r.error = o.error;
  deps_.metrics
      .counter("selfheal_healer_actions_total", "Healing actions run, by action type and outcome.",
               {{"action", p.action.type}, {"outcome", r.outcome}})
      .inc();
  const bool verifiable = o.success && p.verification.enabled && p.impl->verifiable();
  if (verifiable) {
    r.verification = "pending";
    VerifyTask t;
    t.run_id = r.id;
    t.plan = p;
    t.started = r.ts;
    t.ended = ended;
    t.due = ended + p.verification.window_secs * 1000;
    auto s = deps_.query.fingerprint(p.fingerprint_id);
    t.count_at_end = s && *s ? (*s)->count : -1;
    t.before_per_min = r.rate_before;
    std::lock_guard l(mu_);
    verifications_.push_back(std::move(t));
  } else if (o.success) {
    r.verification = "skipped";
  }
  record_update(r, "record an action's outcome");
  spdlog::info("Healer action finished. strategy={} fingerprint={} action={} outcome={} exit={} ms={}", p.strategy,
               p.fingerprint_id, p.action.name, r.outcome, r.exit_code, r.duration_ms);
  if (job.escalation) {  // this step of the episode is done; finish_attempt may mark the next one
    std::lock_guard l(mu_);
    escalating_.erase({p.strategy, p.fingerprint_id, p.target});
  }
  if (!o.success) {
    finish_attempt(p, r, false);
  } else if (!verifiable) {
    finish_attempt(p, r, true);
  }
  {
    std::lock_guard l(mu_);
    if (--in_flight_[p.target] <= 0) in_flight_.erase(p.target);
  }
  cv_.notify_all();
}

void Worker::finish_attempt(const Plan& p, HealingRun& r, bool success) {
  // Only remediation steps count for the breaker: a delivered page says nothing about the fix.
  if (p.remediation) on_breaker_result(p, success, success ? "" : (r.error.empty() ? r.verification : r.error));
  if (success || p.step + 1 >= p.total_steps) {
    set_step(p, 0);  // healed, or every step tried: the next evaluation starts light again
    return;
  }
  set_step(p, p.step + 1);
  std::lock_guard l(mu_);
  escalations_.push_back({p.fingerprint_id, p.strategy, p.step + 1, TriggerScope{p.service, p.host, 0}, p.target});
  escalating_.insert({p.strategy, p.fingerprint_id, p.target});
}

void Worker::on_breaker_result(const Plan& p, bool success, const std::string& why) {
  const UnixMs now = deps_.clock.now_ms();
  auto row = deps_.state.breaker(p.strategy, p.target);
  const BreakerState before = to_state(row ? *row : std::nullopt);
  const BreakerTransition t = breaker_after(before, p.guards.breaker, success, now);
  if (auto w = deps_.state.save_breaker(to_row(p, t.state, now)); !w) warn_store("persist a breaker", w.error());
  deps_.metrics
      .gauge("selfheal_healer_breaker_state",
             "Worst circuit breaker state per strategy: 0 closed, 1 half-open, 2 open.", {{"strategy", p.strategy}})
      .set(t.state.phase == BreakerPhase::open        ? 2
           : t.state.phase == BreakerPhase::half_open ? 1
                                                      : 0);
  if (!t.opened) return;
  circuit_breaks_->inc();
  spdlog::error("Circuit breaker opened; escalating to a human. strategy={} target={} failures={} last_error=\"{}\"",
                p.strategy, p.target, t.state.consecutive_failures, why);
  const std::string title = "Circuit breaker opened: strategy " + p.strategy + " on " + p.target + " after " +
                            std::to_string(t.state.consecutive_failures) + " failed attempts; automatic healing paused";
  Notification n = notification(p, "breaker_open", title);
  n.level = "critical";
  n.fields.emplace_back("failures", std::to_string(t.state.consecutive_failures));
  n.fields.emplace_back("reason", why);
  n.text = "last error: " + why;
  const auto o = send_page(n, {}, p.fingerprint_id, p.target);
  HealingRun r;
  r.ts = now;
  r.strategy = p.strategy;
  r.fingerprint_id = p.fingerprint_id;
  r.target = p.target;
  r.action = "breaker_escalation";
  r.action_type = "notify";
  r.step = p.step;
  r.decision = "ran";
  r.outcome = o.success ? "success" : "failure";
  r.output = o.output;
  r.error = o.error;
  r.attempts = 1;
  r.detail = title;
  (void)record(r, "record a breaker page");
  deps_.metrics
      .counter("selfheal_healer_actions_total", "Healing actions run, by action type and outcome.",
               {{"action", "notify"}, {"outcome", r.outcome}})
      .inc();
}

void Worker::verify(const VerifyTask& t) {
  auto stored = deps_.log.run(t.run_id);
  if (!stored || !*stored) return;
  HealingRun r = **stored;
  const UnixMs now = deps_.clock.now_ms();
  const std::int64_t after_ms = std::max<std::int64_t>(now - t.ended, 1);
  std::int64_t after_count = 0;
  auto s = deps_.query.fingerprint(t.plan.fingerprint_id);
  if (t.count_at_end >= 0 && s && *s) {
    after_count = std::max<std::int64_t>((*s)->count - t.count_at_end, 0);
  } else {
    // Resumed after a restart: per-minute counts from the minute after the action ended.
    UnixMs from = t.ended - t.ended % minute_ms + minute_ms;
    if (auto series = deps_.query.series(t.plan.fingerprint_id, from, now + 1))
      for (const auto& m : *series) after_count += m.count;
  }
  // before: events per minute; convert back to a count over one minute for verify_rates.
  const auto v = verify_rates(static_cast<std::int64_t>(t.before_per_min * 1000), 1000 * minute_ms, after_count,
                              after_ms, t.plan.verification.min_drop_ratio);
  r.verification = v.verified ? "verified" : "not_verified";
  r.rate_after = v.after_per_min;
  r.verified_at = now;
  r.detail += (r.detail.empty() ? "" : "; ") + v.detail + " (" + std::to_string(after_count) + " events in " +
              std::to_string(after_ms / 1000) + "s after)";
  record_update(r, "record a verification");
  deps_.metrics
      .counter("selfheal_healer_verifications_total", "Verifications of healing actions by result.",
               {{"result", r.verification}})
      .inc();
  if (v.verified) auto_heals_->inc();
  spdlog::info(
      "Healer verification done. strategy={} fingerprint={} action={} result={} before_per_min={:.2f} "
      "after_per_min={:.2f}",
      t.plan.strategy, t.plan.fingerprint_id, t.plan.action.name, r.verification, v.before_per_min, v.after_per_min);
  finish_attempt(t.plan, r, v.verified);
}

void Worker::handle_approvals() {
  const UnixMs now = deps_.clock.now_ms();
  if (auto expired = deps_.approvals.expire_approvals(now)) {
    for (const auto& a : *expired) {
      HealingRun r;
      r.ts = now;
      r.strategy = a.strategy;
      r.fingerprint_id = a.fingerprint_id;
      r.target = a.target;
      r.action = a.action;
      if (const Strategy* s = strategy_by_name(a.strategy); s && a.step < s->steps())
        r.action_type = s->config().actions[static_cast<std::size_t>(a.step)].type;
      r.step = a.step;
      r.decision = "skipped";
      r.reason = "approval_expired";
      r.approval_id = a.id;
      r.detail = "approval " + std::to_string(a.id) + " expired unanswered";
      (void)record(r, "record an expired approval");
      count_decision("skipped", "approval_expired");
    }
  }
  auto approved = deps_.approvals.approvals("approved", 100);
  if (!approved) return;
  for (const auto& a : *approved) {
    const Strategy* s = strategy_by_name(a.strategy);
    if (!s) continue;
    // The approval's own scope: its target is the service it was requested for.
    TriggerScope scope;
    if (a.target.rfind("fingerprint:", 0) != 0) scope.service = a.target;
    auto pj = nlohmann::json::parse(a.plan_json, nullptr, false);
    if (pj.is_object() && pj.contains("host") && pj["host"].is_string()) scope.host = pj["host"].get<std::string>();
    evaluate(a.fingerprint_id, scope, s, a.step, false);
  }
}

void Worker::restore_throttles() {
  auto active = deps_.state.active_throttles();
  if (!active) return;
  const UnixMs now = deps_.clock.now_ms();
  for (const auto& t : *active) {
    if (t.restore_at > now) break;
    const Strategy* s = strategy_by_name(t.strategy);
    const ActionConfig* a = nullptr;
    if (s)
      for (const auto& ac : s->config().actions)
        if (ac.name == t.action) a = &ac;
    HealingRun r;
    r.ts = now;
    r.strategy = t.strategy;
    r.fingerprint_id = t.fingerprint_id;
    r.target = t.target;
    r.action = t.action + ":restore";
    r.action_type = "throttle";
    r.decision = "ran";
    r.attempts = 1;
    if (!a) {
      r.outcome = "error";
      r.error = "throttle's strategy or action is no longer configured; cannot restore";
    } else {
      auto o = run_delivery(a->restore, fields_from_json(t.fields_json));
      r.outcome = o && o->success ? "success" : "failure";
      if (o) {
        r.exit_code = o->code;
        r.output = excerpt(o->output);
        r.error = o->error;
        r.duration_ms = o->duration_ms;
      } else {
        r.error = o.error().message;
      }
    }
    if (auto w = deps_.state.finish_throttle(t.id, r.outcome == "success" ? "restored" : "restore_failed", now); !w)
      warn_store("finish a throttle", w.error());
    (void)record(r, "record a throttle restore");
    deps_.metrics
        .counter("selfheal_healer_actions_total", "Healing actions run, by action type and outcome.",
                 {{"action", "throttle_restore"}, {"outcome", r.outcome}})
        .inc();
  }
}

Result<Simulation> Worker::simulate(const std::string& id, const std::string& service) {
  Simulation sim;
  auto f = facts(id, TriggerScope{service, "", 0});
  if (!f) {
    if (f.error().code == ErrorCode::not_found) return sim;
    return f.error();
  }
  sim.found = true;
  for (const auto& s : strategies_)
    if (s->matches(*f)) sim.matching.emplace_back(s->name());
  const Strategy* s = select_strategy(strategies_, *f);
  if (!s) return sim;
  sim.strategy = std::string(s->name());
  sim.plan = s->plan(*f, 0);
  if (auto step = deps_.state.escalation_step(sim.strategy, id, sim.plan.target); step && *step > 0)
    sim.plan = s->plan(*f, std::min(*step, s->steps() - 1));
  auto st = gather_state(sim.plan);
  if (!st) return st.error();
  sim.state = *st;
  sim.decision = decide(sim.plan, *st, deps_.clock.now_ms());
  const ActionDescription d = sim.plan.impl->describe(sim.plan);
  sim.argv = d.argv;
  sim.body = d.body;
  if (sim.plan.action.type == "notify")
    sim.body = render_notification(notification(sim.plan, "simulation", notification_title("", sim.plan.fields)), "json");
  sim.error = d.error;
  return sim;
}

Result<ActionOutcome> Worker::reset_failover(const std::string& strategy, const std::string& action) {
  const Strategy* s = strategy_by_name(strategy);
  if (!s) return make_error(ErrorCode::not_found, "unknown strategy " + strategy);
  const ActionConfig* a = nullptr;
  for (const auto& ac : s->config().actions)
    if (ac.name == action && ac.type == "failover") a = &ac;
  if (!a) return make_error(ErrorCode::not_found, "no failover action " + action + " in " + strategy);
  const std::string key = strategy + "/" + action;
  auto cur = deps_.state.failover(key);
  if (!cur) return cur.error();
  const std::string active = *cur ? (*cur)->active : a->targets.front();
  Fields f = {{"strategy", strategy}, {"action", action}, {"target", active}};
  auto res =
      healer::reset_failover(*a, active, f, [](const Delivery& d, const Fields& fl) { return run_delivery(d, fl); });
  if (res.switched || !*cur)
    if (auto w = deps_.state.save_failover(FailoverRow{key, res.active, res.previous, deps_.clock.now_ms(),
                                                       res.outcome.success ? "reset" : "reset_failed"});
        !w)
      warn_store("persist the failover state", w.error());
  HealingRun r;
  r.ts = deps_.clock.now_ms();
  r.strategy = strategy;
  r.fingerprint_id = "";
  r.target = res.active;
  r.action = action + ":reset";
  r.action_type = "failover";
  r.decision = "ran";
  r.outcome = res.outcome.success ? "success" : "failure";
  r.output = excerpt(res.outcome.output);
  r.error = res.outcome.error;
  r.attempts = 1;
  (void)record(r, "record a failover reset");
  return res.outcome;
}

}  // namespace selfheal::healer
