#pragma once
// The "where and which" of one fingerprint: services and hosts affected (with counts), and behind
// each <*> a heavy-hitters sketch of its values plus a HyperLogLog of its distinct count.
//
// Stored as ONE blob row per fingerprint (table fingerprint_dims) and rewritten once per commit: a
// commit costs two statements per touched fingerprint instead of one upsert per (service, host,
// value) — the difference between ~150 k and ~10 k statements for a flush of 2,000 busy fingerprints.
//
// Blob format, version 1 (all integers unsigned LEB128 varints, strings as length + bytes):
//   'D' 0x01
//   n_services { name count }   n_hosts { name count }
//   n_positions { position flags(bit0: values were evicted) hll[64] n_values { value count } }
// The 0005 migration writes the JSON form {"s":[[n,c]..],"h":[..],"v":[[p,v,c]..],"x":[[p,hex]..]}
// from the older per-row tables; decode() reads both, the store always writes version 1.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace selfheal {

struct FingerprintDelta;

using NameCounts = std::vector<std::pair<std::string, std::int64_t>>;

struct PositionDims {
  NameCounts values;     // bounded heavy hitters (Space-Saving), unordered
  bool evicted = false;  // some value was ever dropped: counts are upper bounds, distinct uses the HLL
  std::array<std::uint8_t, 64> hll{};
};

struct FingerprintDims {
  static constexpr std::size_t max_positions = 64;

  NameCounts services;  // unordered; "(other)" holds what came past the cap
  NameCounts hosts;
  std::vector<PositionDims> positions;  // index: <*> position

  std::string encode() const;
  /// Reads either format; nullopt when the blob is not a dims blob (the caller starts afresh).
  static std::optional<FingerprintDims> decode(std::string_view blob);

  /// Adds one commit's delta. Names beyond `max_names` fold into "(other)"; values beyond
  /// `max_values` per position replace the current minimum with min + count (Space-Saving), so any
  /// value holding more than 1/max_values of a position's events is guaranteed to be kept.
  /// Returns the services to record in fingerprint_services (INSERT OR IGNORE): new ones, and those
  /// counted in "(other)" past the cap (membership stays complete even when counts are folded).
  std::vector<std::string> add(const FingerprintDelta& d, std::size_t max_names, std::size_t max_values);

  /// Distinct values behind `position`: exact while nothing was evicted, else the HLL estimate.
  std::int64_t distinct(int position) const;
};

/// Name/count pairs by count descending, then name; at most `limit`.
NameCounts top_counts(const NameCounts& m, std::size_t limit);

}  // namespace selfheal
