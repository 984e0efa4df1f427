#pragma once
// The healer loop.
//
//   pipeline commit ──enqueue(ids)──► queue ─┐
//   periodic tick (tick_ms) ─────────────────┼─► loop thread: facts (QueryStore) → select_strategy
//                                            │     → plan(step) → PolicyState (stores) → decide()
//                                            │     → record decision (HealingLog)
//                                            │     → run: executor pool thread → Action → record outcome
//                                            │            → breaker update (PolicyStateStore)
//                                            │            → schedule verification at end + window
//   tick: due verifications, approved / expired approvals, due throttle restores
//
// Invariants: every decision (ran, skipped with its reason, approval requested) is one HealingLog row;
// an action never starts without decide() answering run; in_flight_ counts jobs queued or running per
// target and is what the concurrency guard sees; the breaker is persisted before the next decision.
// Threading: enqueue/simulate/stats are thread-safe; the loop and executor threads are internal.
// The escalation step of an episode is persisted per (strategy, fingerprint, target)
// (PolicyStateStore::escalation_step), so a restart continues where the episode was.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stop_token>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "healer/action_type.hpp"
#include "healer/actions/notify.hpp"
#include "healer/config.hpp"
#include "healer/history.hpp"
#include "healer/policy.hpp"
#include "healer/strategy.hpp"
#include "healer/suggestion.hpp"
#include "schema/clock.hpp"
#include "schema/healing_store.hpp"
#include "schema/metrics.hpp"
#include "schema/redact.hpp"
#include "schema/store.hpp"

namespace selfheal::healer {

/// The (service, host) of events that triggered an evaluation; decisions are made per service.
struct TriggerScope {
  std::string service;  // "" : unknown (the newest sample's scope is used)
  std::string host;
  std::int64_t count = 0;
};

struct WorkerDeps {
  const Clock& clock;
  Metrics& metrics;
  QueryStore& query;
  HealingLog& log;
  PolicyStateStore& state;
  ApprovalStore& approvals;
  SuggestionRequester* suggester = nullptr;  // may be null: suggest actions then fail (config)
  const ActionRegistry* actions = nullptr;   // the action types (null: builtin_actions())
  /// What every outbound body passes through (null: Redactor::builtin()); app shares the LLM's.
  std::shared_ptr<const Redactor> redactor = nullptr;
};

/// What would happen for one fingerprint now. Nothing is executed or recorded.
struct Simulation {
  bool found = false;
  std::vector<std::string> matching;  // every matching strategy, priority order
  std::string strategy;               // the one that would handle it ("" none)
  Plan plan;
  Decision decision;
  PolicyState state;
  std::vector<std::string> argv;  // exec: the argv that would run
  std::string body;               // http / notify: the body that would be sent
  std::string error;              // e.g. a field that fails validation
};

class Worker {
 public:
  /// Errors: config (bad strategies).
  static Result<std::unique_ptr<Worker>> create(HealerConfig cfg, WorkerDeps deps);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Starts the loop and executor threads; resumes verifications left pending by a restart.
  void start();
  /// Stops and joins (running actions are asked to stop and their children killed). Idempotent.
  void stop();
  /// Queues fingerprints for evaluation. Cheap, never blocks on I/O (pipeline commit listener).
  /// Each (fingerprint, service) of the committed events is decided on separately, with that
  /// service and its busiest host as {service}/{host}/{target}.
  void enqueue(const std::vector<TouchedScope>& touched);
  /// Without scopes (tests, tools): the newest sample's service and host stand in.
  void enqueue(const std::vector<std::string>& fingerprint_ids);
  /// Wakes the loop now (e.g. after an approval was granted).
  void wake();

  /// `service` "": the newest sample's service.
  Result<Simulation> simulate(const std::string& fingerprint_id, const std::string& service = "");
  /// Switches a failover action back to its primary target.
  Result<ActionOutcome> reset_failover(const std::string& strategy, const std::string& action);

  const std::vector<std::unique_ptr<Strategy>>& strategies() const { return strategies_; }
  const HealerConfig& config() const { return cfg_; }
  /// Jobs queued or running.
  int in_flight() const;
  /// Evaluations performed so far (tests wait on it).
  std::uint64_t evaluations() const { return evaluations_.load(); }

  /// For /readyz: whether the decision loop's thread is alive, when it last finished a pass (it passes
  /// at least every tick_ms), and the last store error of the latest pass (cleared by a clean pass).
  struct Health {
    bool running = false;
    UnixMs last_pass_ms = 0;
    std::string last_error;
  };
  Health health() const;

 private:
  struct Job {
    Plan plan;
    std::int64_t run_id = 0;
    HealingRun run;
    bool trial = false;
    bool escalation = false;
    std::int64_t fingerprint_count = 0;
  };
  struct VerifyTask {
    std::int64_t run_id = 0;
    Plan plan;
    UnixMs started = 0;
    UnixMs ended = 0;
    UnixMs due = 0;
    std::int64_t count_at_end = -1;  // -1: unknown (resumed after a restart): use the series
    double before_per_min = 0;
  };

  Worker(HealerConfig cfg, WorkerDeps deps, std::vector<std::unique_ptr<Strategy>> strategies);
  /// The strategy's plan with its free-text fields redacted (healer/outbound.hpp): every action,
  /// description, approval and notification built from it carries no secret.
  Plan plan_for(const Strategy& s, const FingerprintFacts& f, int step) const;
  void loop(std::stop_token st);
  void executor(std::stop_token st);
  void tick();
  /// True when a job was queued.
  bool evaluate(const std::string& fingerprint_id, const TriggerScope& scope, const Strategy* only = nullptr,
                int step = -1, bool escalation = false);
  Result<FingerprintFacts> facts(const std::string& id, const TriggerScope& scope);
  /// Writes a history row; a failure is logged (rate-limited) and counted, never silently dropped.
  Result<std::int64_t> record(const HealingRun& r, const char* what);
  void record_update(const HealingRun& r, const char* what);
  void warn_store(const char* what, const Error& e);
  /// Sends a page (escalation / breaker open) to the subscribed channels that are not in their own
  /// per-channel cooldown for (fingerprint, target). success=false with error "page_cooldown" when
  /// every channel is cooling down.
  ActionOutcome send_page(const Notification& n, const std::vector<std::string>& only, const std::string& fp,
                          const std::string& target);
  Notification notification(const Plan& p, std::string kind, std::string title) const;
  ActionOutcome notify_approval(const ApprovalRow& a, const Plan& plan);
  void set_step(const Plan& p, int step);
  Result<PolicyState> gather_state(const Plan& plan);
  void execute(Job job, std::stop_token st);
  ActionOutcome perform(const Job& job, std::stop_token st);
  void finish_attempt(const Plan& plan, HealingRun& run, bool success);
  void on_breaker_result(const Plan& plan, bool success, const std::string& why);
  void verify(const VerifyTask& t);
  void restore_throttles();
  void handle_approvals();
  void record_skip(const Plan& plan, const Decision& d, std::int64_t approval_id = 0);
  void count_decision(RunDecision decision, const std::string& reason);
  const Strategy* strategy_by_name(const std::string& name) const;
  double rate_before(const std::string& fp, UnixMs start, std::int64_t window_ms);

  HealerConfig cfg_;
  WorkerDeps deps_;
  std::vector<std::unique_ptr<Strategy>> strategies_;
  Notifier notifier_;
  ActionEnv env_;  // what actions may use while they run

  mutable std::mutex mu_;
  std::condition_variable_any cv_;       // loop wake-ups
  std::condition_variable_any jobs_cv_;  // executor wake-ups
  std::map<std::string, std::vector<TriggerScope>> queue_;  // fingerprint → scopes to evaluate
  std::deque<Job> jobs_;
  std::map<std::string, int> in_flight_;  // Invariant: per target, jobs queued or running
  std::vector<VerifyTask> verifications_;
  struct Escalation {
    std::string fingerprint_id;
    std::string strategy;
    int step = 0;
    TriggerScope scope;
    std::string target;
  };
  std::vector<Escalation> escalations_;  // next steps to evaluate on the loop thread
  // (strategy, fingerprint, target) whose next step is queued in escalations_: a regular evaluation
  // leaves it to that escalation, so a step (e.g. a page) is never decided twice.
  std::set<std::tuple<std::string, std::string, std::string>> escalating_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::atomic<std::uint64_t> evaluations_{0};
  std::atomic<bool> loop_alive_{false};
  std::atomic<std::uint64_t> store_errors_{0};
  mutable std::mutex health_mu_;
  UnixMs last_pass_ms_ = 0;  // Invariant: guarded by health_mu_
  std::string last_error_;   // Invariant: guarded by health_mu_
  std::jthread loop_;
  std::vector<std::jthread> executors_;
  bool started_ = false;

  Counter* auto_heals_;
  Counter* circuit_breaks_;
  Counter* history_write_errors_;
};

}  // namespace selfheal::healer
