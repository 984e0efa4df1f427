#pragma once
// The ingest -> fingerprint -> store path.
//
//   sources ──submit(Batch)──► Pipeline ──(per event)──► severity? ─► fingerprint::Engine ─► WriteBatch
//                                 │                                                        (in memory)
//                                 └──── flusher thread, every flush_interval_ms ──► Store::commit (1 txn)
//                                                                                   │
//            wait_durable(ticket) ◄──────────── durable ticket advanced ◄──────────┘
//                                                         └──► on_commit listeners (healer, llm)
//
// Invariants: a ticket is durable only when the transaction holding every event submitted with a
// smaller-or-equal ticket has committed; a failed commit keeps the batch in memory and is retried;
// submit() refuses (overloaded) rather than grow the queue past queue_max_events.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "app/config.hpp"
#include "ingest/source.hpp"
#include "schema/clock.hpp"
#include "schema/metrics.hpp"
#include "schema/store.hpp"

namespace selfheal::app {

class Fingerprinting;  // engine pool + user rules + merges (app/fingerprinting.hpp)

class Pipeline final : public ingest::EventSink {
 public:
  Pipeline(const Config& cfg, EventStore& store, const Clock& clock, Metrics& metrics,
           std::shared_ptr<Fingerprinting> fp);
  ~Pipeline() override;

  Result<Ticket> submit(ingest::Batch&& batch) override;
  Result<void> wait_durable(Ticket ticket, std::chrono::milliseconds timeout) override;
  Ticket durable_ticket() const override;

  /// Starts the flusher thread.
  void start();
  /// Commits whatever is pending (retrying briefly) and stops the flusher. Idempotent.
  void stop();
  /// Commits pending work now, on the caller's thread (tests, shutdown). Returns the commit result.
  Result<CommitReceipt> flush_now();
  /// Called on the flusher thread after every successful commit. Register before start().
  void on_commit(std::function<void(const CommitReceipt&)> fn);

  std::int64_t queued_events() const { return queued_.load(); }

 private:
  void flusher_loop();
  Result<CommitReceipt> commit_pending(std::unique_lock<std::mutex>& lock);

  const Config& cfg_;
  EventStore& store_;
  const Clock& clock_;
  Metrics& metrics_;
  std::shared_ptr<Fingerprinting> fp_;
  Severity min_severity_ = Severity::warning;

  mutable std::mutex mu_;
  std::condition_variable cv_flush_;    // wakes the flusher
  std::condition_variable cv_durable_;  // wakes waiters
  WriteBatch pending_;                  // Invariant: holds every submitted, uncommitted event
  std::int64_t pending_submitted_ = 0;  // events (kept or not) in pending_; what queued_ counts
  Ticket next_ticket_ = 1;
  Ticket durable_ = 0;
  Ticket wanted_ = 0;  // highest ticket someone waits on: the flusher commits at once (group commit)
  std::string last_error_;
  std::atomic<std::int64_t> queued_{0};
  std::mutex commit_mu_;  // serialises commits (flusher vs flush_now)
  std::vector<std::function<void(const CommitReceipt&)>> listeners_;
  std::thread flusher_;
  bool stopping_ = false;
  bool started_ = false;

  // metrics
  Counter* events_accepted_;
  Counter* events_rejected_overload_;
  Counter* commits_ok_;
  Counter* commits_failed_;
  Histogram* commit_seconds_;
  Gauge* queue_gauge_;
  Counter* new_fingerprints_;
  Counter* cap_exceeded_;
  // New fingerprints per service in the current hour (a masking failure shows up as an explosion here).
  std::unordered_map<std::string, std::pair<UnixMs, std::int64_t>> new_per_service_;  // guarded by commit_mu_
  void check_cardinality(const CommitReceipt& r);
};

}  // namespace selfheal::app
