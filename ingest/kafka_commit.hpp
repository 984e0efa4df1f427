#pragma once
// Pure decisions of the Kafka source: what a partition's stored position means, which records of a
// (re)assigned partition are new, replayed or already counted, what to store after a poll, and what
// to do on a revoke. No librdkafka types here, so every rule is table-tested (tests/ingest/
// kafka_commit_test.cpp) without a broker.
//
// Why a position is more than one offset: records are stitched into multiline events per
// (topic, partition, key) stream, and streams interleave inside a partition. When a stream still has
// lines pending (not yet emitted as an event), the position must not move past them, but lines of
// OTHER streams after them were already emitted and counted. So the stored position of a partition is
//   next offset  N: every record below N was read;
//   pending map  P: stream id -> first offset of that stream's oldest line not yet emitted (< N).
// Resuming seeks to min(P) (or N); in the replay zone [min(P), N) a record is fed again only if its
// stream is in P at or above its pending offset, every other record there is skipped as already
// counted. This relies on one invariant of every stitcher: per stream, events are emitted in line
// order (a line is emitted only after all earlier lines of its stream), so "stream s at offset >= P[s]"
// is exactly the set of unemitted lines.
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace selfheal::ingest::kafka {

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

/// "topic:partition" (Kafka topic names cannot contain ':').
std::string position_key(const TopicPartition& tp);
std::optional<TopicPartition> parse_position_key(std::string_view key);

/// Stream id of a record key inside a partition (64-bit hash of the key bytes; empty key is a stream too).
std::uint64_t stream_id(std::string_view key);

struct PartitionPosition {
  std::int64_t next_offset = 0;
  std::map<std::uint64_t, std::int64_t> pending;  // stream -> first unemitted offset; each < next_offset
  /// Where to seek to resume: the oldest pending line, else next_offset.
  std::int64_t seek_offset() const;
  bool operator==(const PartitionPosition&) const = default;
};

/// "N" without pending streams (a plain next offset, like a Kafka commit), else
/// "N;<stream hex>@<offset>,..." in stream order.
std::string encode_position(const PartitionPosition& p);
/// nullopt when malformed (negative offsets, pending not below N, bad hex, trailing bytes).
std::optional<PartitionPosition> decode_position(std::string_view s);

/// What the consumer knows about one assigned partition.
struct PartitionState {
  std::int64_t expected = -1;  // next offset we expect; -1: unknown (started from Kafka's committed offset)
  PartitionPosition resume;    // stored position read at assignment (zero value when none)
};

enum class Admission {
  accept,          // a new record: decode, stitch, count
  skip_counted,    // replay zone, already emitted before the restart: advance past it, count nothing
  reject_revoked,  // partition not assigned to us (late record after a revoke): ignore, no position
  reject_stale,    // offset below what we already consumed (fetched before a seek): ignore
};
std::string_view to_string(Admission a);

/// Decides one record and advances `st.expected` for accept/skip. `st` is null when the partition is
/// not in the current assignment.
Admission admit(PartitionState* st, std::uint64_t stream, std::int64_t offset);

/// Position to store after consuming every record below `consumed_next`, with `live_pending` the
/// streams whose lines are still held by the stitcher (stream -> first pending offset) and `resume`
/// the position read at assignment (its replay zone may not be fully re-read yet).
PartitionPosition position_to_store(std::int64_t consumed_next,
                                    const std::map<std::uint64_t, std::int64_t>& live_pending,
                                    const PartitionPosition& resume);

/// Where an assigned partition starts.
struct StartDecision {
  std::optional<std::int64_t> seek;  // nullopt: let Kafka decide (committed offset, else auto.offset.reset)
  PartitionPosition resume;          // replay information (zero value: none)
  bool stale_store = false;          // the group committed past our stored position
};

/// `stored` is this store's position (read fresh at assignment), `committed` the group's committed
/// offset in Kafka (nullopt when none). Our own commits are seek offsets of durable positions, so
/// after our own crash committed <= stored seek and the store wins (exact resume). A committed offset
/// beyond it means another member (with another store) consumed past it: our position is stale and
/// resuming from it would count that range a second time, so Kafka's offset wins.
StartDecision decide_start(const std::optional<PartitionPosition>& stored, std::optional<std::int64_t> committed);

enum class RebalanceProtocol { eager, cooperative };

struct RevokeDecision {
  std::vector<TopicPartition> revoked;  // partitions whose state is dropped
  bool wait_durable = true;    // make every submitted batch durable before letting them go
  bool commit_offsets = true;  // store the durable offsets in Kafka before unassigning
};

/// Eager revokes always take the whole assignment; cooperative ones only the listed partitions.
/// When the assignment was lost (session timeout, fenced), another member may already own the
/// partitions: nothing is committed to Kafka for them, the store positions stay as they are.
RevokeDecision decide_revoke(RebalanceProtocol protocol, const std::set<TopicPartition>& assigned,
                             const std::vector<TopicPartition>& listed, bool assignment_lost);

/// Offsets (seek offsets of durable positions) worth committing to Kafka: only partitions still
/// assigned, only when larger than what was last committed. Updates `last_committed`.
std::vector<std::pair<TopicPartition, std::int64_t>> offsets_to_commit(
    const std::map<TopicPartition, std::int64_t>& durable, const std::set<TopicPartition>& assigned,
    std::map<TopicPartition, std::int64_t>& last_committed);

}  // namespace selfheal::ingest::kafka
