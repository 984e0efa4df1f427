#pragma once
// Suggestion requests, processed one at a time off the request path.
//
//   request(id) --dedupe--> queue --worker thread--> SuggestionService::run(id)
//                                                     facts (QueryStore) -> redacted context
//                                                     -> reuse / cache / budget -> provider
//                                                     -> parse + confidence -> SuggestionStore
//
// One call per fingerprint: requests come only from the healer `suggest` action, the API or the CLI
// (never per event); a fingerprint already queued or running is not queued again; a suggestion
// younger than refresh_after_ms, or one with the same cache key, is reused without a call.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "llm/config.hpp"
#include "llm/context.hpp"
#include "llm/provider.hpp"
#include "schema/redact.hpp"
#include "schema/clock.hpp"
#include "schema/metrics.hpp"
#include "schema/store.hpp"
#include "schema/suggestion_store.hpp"

namespace selfheal::llm {

/// Earlier healing runs of a fingerprint (app/ adapts the healer's log; optional).
class HealingHistorySource {
 public:
  virtual ~HealingHistorySource() = default;
  virtual Result<std::vector<HealingEntry>> healing_history(const std::string& fingerprint_id) = 0;
};

struct ServiceOptions {
  ContextOptions context;
  BudgetConfig budget;
  double cost_per_1k_input_tokens = 0;
  double cost_per_1k_output_tokens = 0;
  std::int64_t refresh_after_ms = 24 * 3600 * 1000;
  std::chrono::milliseconds deadline{60'000};
};

/// Builds LlmConfig-derived options.
ServiceOptions service_options(const LlmConfig& cfg);

enum class RunOutcome { created, cached, reused, failed, over_budget };
std::string_view to_string(RunOutcome o);

struct RunResult {
  RunOutcome outcome = RunOutcome::failed;
  std::int64_t suggestion_id = 0;  // created / cached / reused
  std::string error;               // failed / over_budget: no key, no endpoint
  Usage usage;                     // of the provider call, if one was made
  std::int64_t latency_ms = 0;     // of the provider call, if one was made
};

class SuggestionService {
 public:
  SuggestionService(QueryStore& facts, SuggestionStore& store, LlmProvider& provider, const Redactor& redactor,
                    const Clock& clock, ServiceOptions opts, HealingHistorySource* history = nullptr);

  /// The redacted, budgeted context of a fingerprint. Errors: not_found, config, store errors.
  Result<BuiltContext> context_for(const std::string& fingerprint_id);
  /// The exact request body a call would send now. Sends nothing.
  Result<std::string> preview(const std::string& fingerprint_id);
  /// Produces (or reuses) a suggestion. Provider and parse failures are recorded as failed
  /// attempts (raw answer kept) and returned as RunOutcome::failed, not as errors; errors are for
  /// not_found and store failures. Blocks for up to the deadline. Thread-compatible: one caller.
  Result<RunResult> run(const std::string& fingerprint_id, bool force, const std::string& requested_by);

  LlmProvider& provider() { return provider_; }

 private:
  QueryStore& facts_;
  SuggestionStore& store_;
  LlmProvider& provider_;
  const Redactor& redactor_;
  const Clock& clock_;
  ServiceOptions opts_;
  HealingHistorySource* history_;
};

class LlmWorker {
 public:
  /// `cancel` is called by stop() to abort an in-flight call (HttpClient::cancel, waiter cancel).
  LlmWorker(SuggestionService& service, std::size_t queue_max, Metrics* metrics = nullptr,
            std::function<void()> cancel = {});
  ~LlmWorker();
  LlmWorker(const LlmWorker&) = delete;
  LlmWorker& operator=(const LlmWorker&) = delete;

  void start();
  /// Stops after the current call (aborted through `cancel`) and joins. Idempotent.
  void stop();
  /// Queues a request. A fingerprint already queued or running is deduplicated (ok, no new entry);
  /// `force` skips reuse and cache (still one call at a time per fingerprint). Never blocks.
  /// Errors: overloaded (queue full), unavailable (stopped).
  Result<void> request(const std::string& fingerprint_id, bool force = false, const std::string& requested_by = "api");

  struct Stats {
    std::uint64_t requested = 0, deduplicated = 0, processed = 0, created = 0, cached = 0, failed = 0, over_budget = 0;
  };
  Stats stats() const;
  /// Queue empty and nothing running.
  bool idle() const;
  std::size_t pending() const;
  /// For /readyz: the worker thread is alive, when the last call finished (unix ms, 0: none yet) and
  /// its error ("" when it produced or reused a suggestion).
  struct Health {
    bool running = false;
    std::int64_t last_run_ms = 0;
    std::string last_error;
  };
  Health health() const;

 private:
  struct Item {
    std::string id;
    bool force = false;
    std::string requested_by;
  };
  void loop();

  SuggestionService& service_;
  std::size_t queue_max_;
  Metrics* metrics_;
  std::function<void()> cancel_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;        // Invariant: guarded by mu_; ids unique and in `active_`
  std::set<std::string> active_;  // Invariant: guarded by mu_; queued or running ids
  bool running_ = false;          // Invariant: guarded by mu_
  bool stopping_ = false;         // Invariant: guarded by mu_
  int busy_ = 0;                  // Invariant: guarded by mu_
  Stats stats_;                   // Invariant: guarded by mu_
  bool alive_ = false;            // Invariant: guarded by mu_; true while loop() runs
  std::int64_t last_run_ms_ = 0;  // Invariant: guarded by mu_
  std::string last_error_;        // Invariant: guarded by mu_
  std::thread thread_;
};

}  // namespace selfheal::llm
