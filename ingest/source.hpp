#pragma once
// The ingest seam. Sources turn bytes from a peer into LogEvents and hand them to an EventSink (the
// pipeline, app/pipeline.hpp). The contract every source follows is written in ingest/README.md:
//   - at-least-once from the peer, exactly-once into the counts: a source's position travels in the
//     same Batch as the events it covers and lands in the same store transaction;
//   - a position is committed back to the peer (Kafka commit, file offset file...) only after
//     wait_durable() said the batch is durable;
//   - nothing is dropped silently: undecodable input becomes a DeadLetter in the batch;
//   - every received, accepted and rejected record is counted in Metrics.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "schema/model.hpp"
#include "schema/result.hpp"

namespace selfheal::ingest {

/// Bounds of one stitched multiline event, the same for every source (from the fingerprint section
/// of the config: stitch_max_lines, max_event_bytes, stitch_max_wait_ms).
struct StitchLimits {
  std::size_t max_lines = 500;
  std::size_t max_bytes = 256 * 1024;
  std::int64_t max_wait_ms = 3000;  ///< pull sources: an open event waits this long for its next line
};

struct Batch {
  std::vector<LogEvent> events;
  std::vector<SourcePosition> positions;  // stored atomically with the events
  std::vector<DeadLetter> dead_letters;
  bool empty() const { return events.empty() && positions.empty() && dead_letters.empty(); }
};

/// Where sources deliver (implemented by app::Pipeline). Thread-safe.
class EventSink {
 public:
  using Ticket = std::uint64_t;
  virtual ~EventSink() = default;
  /// Queues the batch for the next commit and returns a ticket. Non-blocking.
  /// Errors: overloaded when the in-memory queue is full (nothing was taken; retry later or answer 429).
  virtual Result<Ticket> submit(Batch&& batch) = 0;
  /// Blocks until the commit holding `ticket` is durable or `timeout` passes.
  /// Errors: unavailable (store failing; the batch stays queued and is retried), overloaded (timeout).
  virtual Result<void> wait_durable(Ticket ticket, std::chrono::milliseconds timeout) = 0;
  /// Highest ticket known durable. Non-blocking.
  virtual Ticket durable_ticket() const = 0;

  /// submit() then wait_durable().
  Result<void> accept(Batch&& batch, std::chrono::milliseconds timeout) {
    auto t = submit(std::move(batch));
    if (!t) return t.error();
    return wait_durable(*t, timeout);
  }
};

struct SourceHealth {
  bool ok = true;
  std::string detail;  // why not ok, for /readyz
};

/// Pull + commit: Kafka, Loki pull, files. Driven by one thread (ingest/runner.hpp); not thread-safe.
class PullSource {
 public:
  virtual ~PullSource() = default;
  /// Instance name from config (e.g. "kafka", "app-logs"): the `source` of its events and positions.
  virtual std::string_view name() const = 0;
  /// Connects/opens. `stored` holds the positions the store kept for this source, to resume from.
  virtual Result<void> start(const std::vector<SourcePosition>& stored) = 0;
  /// Returns what is available within max_wait (may be empty). Errors: unavailable (peer down; retried).
  virtual Result<Batch> poll(std::chrono::milliseconds max_wait) = 0;
  /// Tells the peer that this batch is durable (Kafka commit...). Only called after wait_durable.
  virtual Result<void> commit(const Batch& stored) = 0;
  /// Flushes pending stitched events into a final batch (used at shutdown before close).
  virtual Batch drain() { return {}; }
  virtual SourceHealth health() const = 0;
  /// Idempotent.
  virtual void close() = 0;
};

}  // namespace selfheal::ingest
