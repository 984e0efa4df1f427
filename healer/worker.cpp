// The loop: lifecycle, the queue of triggering scopes, the tick and the executor threads.
#include "healer/worker.hpp"

#include <algorithm>

#include "healer/detail/worker_util.hpp"
#include "healer/history.hpp"
#include "healer/outbound.hpp"
#include "schema/log.hpp"
#include "schema/time_format.hpp"

namespace selfheal::healer {

using namespace detail;

Result<std::unique_ptr<Worker>> Worker::create(HealerConfig cfg, WorkerDeps deps) {
  auto s = build_strategies(cfg, deps.actions);
  if (!s) return s.error();
  if (!deps.redactor) deps.redactor = Redactor::builtin();
  return std::unique_ptr<Worker>(new Worker(std::move(cfg), std::move(deps), std::move(s.value())));
}

Worker::Worker(HealerConfig cfg, WorkerDeps deps, std::vector<std::unique_ptr<Strategy>> strategies)
    : cfg_(std::move(cfg)),
      deps_(std::move(deps)),
      strategies_(std::move(strategies)),
      notifier_(cfg_.notify, deps_.redactor),
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

Plan Worker::plan_for(const Strategy& s, const FingerprintFacts& f, int step) const {
  Plan p = s.plan(f, step);
  redact_fields(p.fields, *deps_.redactor);
  return p;
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
      t.plan = plan_for(*s, f, r.step);
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
      set_outcome(r, RunOutcome::error);
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

Worker::Health Worker::health() const {
  std::lock_guard l(health_mu_);
  return Health{loop_alive_.load(), last_pass_ms_, last_error_};
}

void Worker::loop(std::stop_token st) {
  loop_alive_ = true;
  struct Alive {
    std::atomic<bool>& flag;
    ~Alive() { flag = false; }
  } alive{loop_alive_};
  UnixMs last_tick = 0;
  while (!st.stop_requested()) {
    const auto errors_before = store_errors_.load();
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
    std::lock_guard l(health_mu_);
    last_pass_ms_ = deps_.clock.now_ms();
    if (store_errors_.load() == errors_before) last_error_.clear();
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

}  // namespace selfheal::healer
