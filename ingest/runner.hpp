#pragma once
// SourceRunner: the one thread that drives a PullSource (Kafka, Loki pull, files).
//
//   start: positions(source) ─► source.start(stored)
//   loop : commit what became durable ─► poll ─► submit (overloaded: back off, retry the SAME batch)
//          └─ poll error: back off (50 ms doubling to 5 s, jittered: schema/retry.hpp), unhealthy until a poll succeeds
//   stop : source.drain() ─► submit ─► wait until durable ─► commit ─► source.close()
//
// Invariants: batches are committed to the source in submission order and only once the sink's
// durable ticket reached theirs; a batch is never dropped while the runner runs (at stop, a batch the
// sink keeps refusing is abandoned WITHOUT committing its positions, so it is read again next start).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ingest/source.hpp"
#include "schema/metrics.hpp"
#include "schema/retry.hpp"
#include "schema/store.hpp"

namespace selfheal::ingest {

struct RunnerOptions {
  std::chrono::milliseconds poll_max_wait{100};
  std::chrono::milliseconds backoff_initial{50};
  std::chrono::milliseconds backoff_max{5000};
  std::chrono::milliseconds durable_timeout{10'000};  // settle() and stop() wait at most this long
};

class SourceRunner {
 public:
  /// `positions` and `sink` must outlive the runner. Metrics are labelled with source.name().
  SourceRunner(std::unique_ptr<PullSource> source, EventSink& sink, PositionStore& positions, Metrics& metrics,
               RunnerOptions opts = {});
  ~SourceRunner();
  SourceRunner(const SourceRunner&) = delete;
  SourceRunner& operator=(const SourceRunner&) = delete;

  /// Reads the stored positions, starts the source on the caller's thread (config errors come back
  /// here, before anything runs), then starts the loop thread.
  Result<void> start();
  /// Graceful: drain, final submit, wait durable, commit, close. Idempotent; joins the thread.
  void stop();
  /// Test hook simulating a crash of this runner: joins the thread without drain, without waiting for
  /// durability and without committing or closing the source.
  void abort();
  /// Runner thread only (a rebalance callback inside poll): waits until every submitted batch is
  /// durable and commits them to the source. false on timeout (the batches stay in flight).
  bool settle();

  SourceHealth health() const;
  PullSource& source() { return *source_; }

  struct Stats {
    std::uint64_t received = 0;      // events returned by poll
    std::uint64_t accepted = 0;      // events in batches that became durable
    std::uint64_t dead_letters = 0;  // dead letters returned by poll
    std::uint64_t batches_committed = 0;
    std::uint64_t poll_errors = 0;
    std::uint64_t submit_retries = 0;
  };
  Stats stats() const;

 private:
  struct InFlight {
    EventSink::Ticket ticket = 0;
    Batch positions;  // positions only; what source.commit() needs
    std::size_t events = 0;
  };
  void loop();
  bool submit_retrying(Batch&& batch, bool stopping);
  void commit_durable();
  bool wait_backoff(std::chrono::milliseconds d);  // false when stop was requested

  std::unique_ptr<PullSource> source_;
  EventSink& sink_;
  PositionStore& positions_;
  RunnerOptions opts_;
  std::string name_;

  std::deque<InFlight> in_flight_;  // Invariant: ascending tickets, all submitted, none committed yet
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;  // guarded by mu_
  bool abort_ = false;           // guarded by mu_
  bool started_ = false;
  std::string poll_error_;       // guarded by mu_; empty when the last poll succeeded

  std::atomic<std::uint64_t> received_{0}, accepted_{0}, dead_{0}, batches_{0}, poll_errors_{0}, retries_{0};
  Counter* m_received_;
  Counter* m_accepted_;
  Counter* m_dead_;
  Counter* m_poll_errors_;
  Counter* m_retries_;
  Counter* m_commit_errors_;
  Gauge* m_in_flight_;
};

}  // namespace selfheal::ingest
