#pragma once
// Kafka source: a librdkafka high-level consumer in a consumer group, driven by one SourceRunner
// thread (ingest/runner.hpp). Stage diagram and invariants at the top of kafka_source.cpp; the pure
// decisions it relies on are in ingest/kafka_commit.hpp; record decoding in ingest/kafka_record.hpp.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ingest/config.hpp"
#include "ingest/kafka_commit.hpp"
#include "ingest/source.hpp"
#include "schema/clock.hpp"
#include "schema/metrics.hpp"
#include "schema/store.hpp"

namespace selfheal::ingest {

/// librdkafka properties the source sets after its own managed ones and before the user's
/// `properties` (which override them): the consumer's local fetch queue. librdkafka 2.0.x stops
/// fetching once the consumer queue holds queued.min.messages records or queued.max.messages.kbytes,
/// and looks again only when a broker thread wakes up: at the latest after one second (from 2.1 on:
/// fetch.queue.backoff.ms, default one second too). With the default 100,000 records the source
/// emptied the queue in a quarter of a second and then sat idle for the rest of it (127 k lines/s at
/// ~25 % CPU in kafka_bench). The queue must hold more than one second of work: then the fetchers are
/// re-armed before it runs dry. Memory stays bounded by queued.max.messages.kbytes.
struct ConsumerTuning {
  std::vector<std::pair<std::string, std::string>> required;  // known to every supported librdkafka
  std::vector<std::pair<std::string, std::string>> optional;  // set only where librdkafka knows them
};
const ConsumerTuning& consumer_tuning();

class KafkaSource final : public PullSource {
 public:
  /// `positions` is read at every partition assignment (never cached) and must outlive the source.
  /// `stitch` bounds multiline events (ignored when cfg.multiline is false).
  KafkaSource(KafkaConfig cfg, PositionStore& positions, Metrics& metrics, const Clock& clock,
              StitchLimits stitch = {});
  ~KafkaSource() override;
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  std::string_view name() const override;
  /// Creates the consumer and subscribes (no broker round trip). `stored` is not used: positions are
  /// read fresh from the PositionStore when partitions are assigned. Errors: config (bad property).
  Result<void> start(const std::vector<SourcePosition>& stored) override;
  /// Collects records for at most max_wait (returns early once records stop arriving). Rebalance
  /// callbacks run inside. The batch carries one position per partition that moved.
  /// A fatal librdkafka error destroys the consumer (no close, no commit) and fails this poll
  /// (unavailable). A later poll creates a new consumer, which resumes from the store's positions,
  /// once before_revoke reports every submitted batch durable; until then, and when creation fails,
  /// polls fail, so the runner's poll backoff spaces the attempts.
  Result<Batch> poll(std::chrono::milliseconds max_wait) override;
  /// Stores the batch's offsets in Kafka (committed by librdkafka's auto-commit) for partitions
  /// still assigned. Kafka's offset is only for lag tools and for other members: resuming uses the
  /// store's positions.
  Result<void> commit(const Batch& stored) override;
  /// What poll collected but did not return yet, with positions. Open multiline events stay pending
  /// (their first lines are in the positions), so a restart or the next owner stitches them whole.
  Batch drain() override;
  SourceHealth health() const override;
  /// Leaves the group cleanly (revoke callback, final Kafka commit). Idempotent.
  void close() override;

  /// Called inside poll() before partitions are revoked (not when they were lost) and before a
  /// consumer is created again after a fatal error: must make every batch submitted so far durable
  /// and commit() it, so the next owner resumes from exact positions; false when it could not (then
  /// no new consumer is created yet). Set by whoever submits the batches (SourceRunner::settle via
  /// app/kafka_components.cpp).
  void set_before_revoke(std::function<bool()> fn);
  /// Test hook: destroys the consumer like a crash would (no close, no final commit, no leave).
  void abandon();
  /// Test hook: librdkafka raises a fatal error on the consumer (rd_kafka_test_fatal_error), which the
  /// next poll sees as it would a real one (e.g. a fenced group.instance.id). Thread-safe.
  void inject_fatal_error(const std::string& reason);
  /// Partitions currently assigned, sorted.
  std::vector<kafka::TopicPartition> assignment() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace selfheal::ingest
