#pragma once
// How far a Kafka source's stored positions got, for the tests and the benchmark that wait for a
// consumer to catch up with what they produced. Header-only.
#include <cstdint>
#include <map>
#include <string>

#include "ingest/kafka_commit.hpp"
#include "schema/store.hpp"

namespace selfheal::test {

/// True when the stored position of every partition in `produced` (partition -> offsets produced)
/// reached that offset with nothing pending.
inline bool positions_at_end(PositionStore& store, const std::string& source,
                             const std::map<int, std::int64_t>& produced) {
  auto ps = store.positions(source);
  if (!ps) return false;
  std::map<int, std::int64_t> seen;
  for (const auto& p : *ps) {
    auto tp = ingest::kafka::parse_position_key(p.key);
    auto pos = ingest::kafka::decode_position(p.value);
    if (tp && pos && pos->pending.empty()) seen[tp->partition] = pos->next_offset;
  }
  for (const auto& [part, n] : produced) {
    if (seen[part] != n) return false;
  }
  return true;
}

}  // namespace selfheal::test
