#pragma once
// The one metric family of every source, push or pull: `selfheal_source_*{source="<instance>"}`.
// A push endpoint and a pull runner register the same names, so a dashboard reads any source the
// same way (ingest/README.md "Metrics"). Source-specific extras keep their own family
// (selfheal_kafka_*, selfheal_loki_pull_requests_total, selfheal_file_*).
#include <string>
#include <string_view>

#include "schema/metrics.hpp"

namespace selfheal::ingest {

class SourceMetrics {
 public:
  /// Registers the common names for `source` at once, so they show (at 0) before the first event.
  SourceMetrics(Metrics& metrics, std::string_view source);

  Counter& received;      ///< events the source handed to the pipeline (after stitching)
  Counter& accepted;      ///< of those, events that became durable in the store
  Counter& dead_letters;  ///< undecodable records or bodies kept as dead letters
  Counter& bytes;         ///< bytes read from the peer, as sent

  /// Entries or whole bodies refused, by a bounded reason word (push: bad_json, overloaded...).
  void rejected(std::string_view reason, std::uint64_t n = 1);

 private:
  Metrics& metrics_;
  std::string source_;
};

}  // namespace selfheal::ingest
