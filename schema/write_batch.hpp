#pragma once
// In-memory aggregation of everything one flush commits: per-fingerprint deltas, per-minute counts,
// bounded samples and value counts, line counts per source and service, source positions and dead
// letters. The pipeline adds events to a WriteBatch and the store commits it in ONE transaction, so a
// flush costs one upsert per distinct fingerprint/minute, never a row per log line.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "schema/model.hpp"

namespace selfheal {

struct Sample {
  UnixMs ts = 0;
  std::string message;
  std::string service;
  std::string host;
  std::string labels_json;  // {"k":"v",...}
};

/// A bounded tally of names (services, hosts, values behind a <*>) with counts, looked up by a 64-bit
/// hash in a flat array (the hot path of every kept event). Two ways to stay bounded:
///  - add_name: the first `cap` names get entries, later ones count in "(other)" and are remembered
///    in `folded` (up to max_folded), so "which fingerprints has service X" stays complete;
///  - add_value: Space-Saving: a new value replaces the current minimum and inherits its count, so a
///    value with more than 1/cap of the events is always kept (counts become upper bounds).
struct Tally {
  static constexpr std::size_t max_folded = 1024;
  std::vector<std::uint64_t> hashes;  // parallel to entries
  std::vector<std::pair<std::string, std::int64_t>> entries;
  bool overflow = false;  // a name was folded or a value replaced since the tally began
  std::vector<std::uint64_t> folded_hashes;  // parallel to folded
  std::vector<std::string> folded;           // add_name: distinct names counted in "(other)"

  void add_name(std::string_view name, std::uint64_t hash, std::int64_t n, std::size_t cap);
  void add_value(std::string_view value, std::uint64_t hash, std::int64_t n, std::size_t cap);
  /// Remembers a name as seen (membership) without a count, unless it has an entry.
  void add_folded(std::string_view name, std::uint64_t hash);

 private:
  std::int64_t* find(std::string_view name, std::uint64_t hash);
};

struct PositionTally {
  Tally values;
  std::array<std::uint8_t, 64> hll{};  // HyperLogLog registers (p = 6) of every value seen
};

struct Scope {
  std::string service;
  std::string host;
  std::int64_t count = 0;
};

struct FingerprintDelta {
  FingerprintInfo info;  // from the first event of this batch
  Severity max_level = Severity::info;
  std::int64_t count = 0;
  UnixMs first = 0;
  UnixMs last = 0;
  std::map<UnixMs, std::int64_t> minutes;            // minute start (ms) -> count
  Tally services;                                    // add_name, bounded by max_services_per_fp
  Tally hosts;
  /// (service, host) pairs of this batch's events, bounded by max_scopes_per_fp: what the healer decides
  /// on (a decision is about the events that triggered it, never the fingerprint's all-time services).
  std::vector<Scope> scopes;
  std::vector<Sample> samples;                       // first `first_samples` + the latest ones
  std::vector<PositionTally> positions;              // index: <*> position
  UnixMs recent_sample_ts = 0;                       // the latest sample is refreshed at most once a second
  std::uint64_t reservoir_seen = 0;                  // events seen, for reservoir sampling
  // Hot-path cache: the minute bucket of the previous event.
  UnixMs last_minute = -1;
  std::int64_t* last_minute_count = nullptr;
};

/// FNV-1a with a splitmix64 finaliser: stable across processes and restarts (HLL registers are persisted).
std::uint64_t stable_hash(std::string_view v);

/// HyperLogLog with 64 registers (~13 % standard error): distinct values behind a <*>.
void hll_add(std::array<std::uint8_t, 64>& regs, std::string_view value);
void hll_add_hash(std::array<std::uint8_t, 64>& regs, std::uint64_t stable_hash_of_value);
void hll_merge(std::array<std::uint8_t, 64>& into, const std::array<std::uint8_t, 64>& from);
double hll_estimate(const std::array<std::uint8_t, 64>& regs);

struct LineCount {
  std::int64_t lines = 0;   // physical lines received
  std::int64_t events = 0;  // stitched events
  std::int64_t kept = 0;    // events fingerprinted (at or above the severity threshold)
};

class WriteBatch {
 public:
  static constexpr std::size_t max_samples_per_fp = 6;
  static constexpr std::size_t max_services_per_fp = 32;
  static constexpr std::size_t max_scopes_per_fp = 32;
  static constexpr std::size_t max_values_per_position = 64;
  static constexpr std::size_t max_value_positions = 16;
  static constexpr std::size_t max_sample_bytes = 16 * 1024;

  /// Counts an event (kept or not) for its source and service.
  void count(const LogEvent& e, bool kept);
  /// Adds a kept event to its fingerprint's delta.
  void add(const LogEvent& e, const FingerprintInfo& fp, Severity sev);
  void set_position(SourcePosition p);
  void add_dead_letter(DeadLetter d);
  /// Moves everything from `other` into this batch (used when a commit failed and is retried).
  void absorb(WriteBatch&& other);

  bool empty() const { return fps_.empty() && counts_.empty() && positions_.empty() && dead_letters_.empty(); }
  std::int64_t events() const { return events_; }

  const std::unordered_map<std::string, FingerprintDelta>& fingerprints() const { return fps_; }
  const std::map<std::pair<std::string, std::string>, LineCount>& counts() const { return counts_; }
  const std::map<std::pair<std::string, std::string>, std::string>& positions() const { return positions_; }
  const std::vector<DeadLetter>& dead_letters() const { return dead_letters_; }

 private:
  std::unordered_map<std::string, FingerprintDelta> fps_;
  std::map<std::pair<std::string, std::string>, LineCount> counts_;      // (source, service)
  std::map<std::pair<std::string, std::string>, std::string> positions_;  // (source, key) -> value
  std::vector<DeadLetter> dead_letters_;
  std::int64_t events_ = 0;
  // Hot-path cache: consecutive events usually share source and service.
  std::string last_source_, last_service_;
  LineCount* last_count_ = nullptr;
};

/// Minute bucket start for a timestamp.
inline UnixMs minute_of(UnixMs t) { return t - ((t % 60000) + 60000) % 60000; }

/// {"k":"v"} JSON for a label set (escaped).
std::string labels_to_json(const Labels& labels);

}  // namespace selfheal
