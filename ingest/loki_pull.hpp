#pragma once
// Loki pull: follows a LogQL selector through GET /loki/api/v1/query_range (direction=forward),
// page by page, without gaps or duplicates across restarts (reference/loki-query.md §3).
//
//   poll ─► window [cursor.ts, now - settle_lag) ─► GET query_range (limit L) ─► flatten + sort
//        ─► drop entries already seen at cursor.ts ─► stitch per stream ─► Batch{events, cursor}
//   full page: query again at once; otherwise wait poll_interval_ms. 429/5xx: back off (doubling,
//   honouring Retry-After), the cursor does not move.
//
// The cursor = (last ns timestamp, keys of the entries already delivered at that timestamp) travels
// in the Batch as a SourcePosition, so it is stored in the same transaction as the counts: a crash
// before the commit re-reads exactly the uncommitted entries, one after it none of them.
// Multiline events are stitched within one page (an event cut by a page boundary becomes two).
// Entries written later with a timestamp below the cursor are not seen; settle_lag_ms is the guard.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/config.hpp"
#include "ingest/source.hpp"
#include "schema/clock.hpp"
#include "schema/metrics.hpp"
#include "schema/retry.hpp"

namespace selfheal::ingest {

struct PullCursor {
  std::int64_t ts_ns = 0;
  std::vector<std::uint64_t> seen;  // keys of entries delivered at ts_ns, sorted
  /// "ts_ns;hex,hex,..." (decimal ns, never a double).
  std::string encode() const;
  static std::optional<PullCursor> decode(std::string_view text);
  bool operator==(const PullCursor&) const = default;
};

struct PulledEntry {
  Labels labels;  // sorted
  std::int64_t ts_ns = 0;
  std::string line;
  std::uint64_t key = 0;  // filled by flatten: hash(labels, ts, line, occurrence)
};

/// "/prefix/loki/api/v1/query_range?query=..&start=..&end=..&limit=..&direction=forward" (ns integers).
std::string query_range_target(std::string_view path_prefix, std::string_view query, std::int64_t start_ns,
                               std::int64_t end_ns, std::int64_t limit);

/// Parses a query_range answer (resultType "streams"), flattens every stream, sorts by
/// (ts, labels, line) and assigns keys (identical entries get distinct keys by occurrence).
/// Errors: bad_input (not JSON / wrong shape), config (a metric query: resultType matrix/vector).
Result<std::vector<PulledEntry>> parse_query_range(std::string_view body);

struct PageStep {
  std::vector<PulledEntry> fresh;  // entries not delivered before, in order
  PullCursor next;
  bool full = false;   // the page hit the limit: more may follow at once
  bool stuck = false;  // full, and nothing moved: every entry shares the cursor timestamp
};
/// The cursor decision, pure: what of `page` is new and where the cursor goes.
PageStep advance(const PullCursor& cursor, std::vector<PulledEntry> page, std::size_t limit);

/// Delay before retrying after an HTTP status: the Retry-After value (schema/retry.hpp: seconds or an
/// HTTP date) when it parses, else `backoff`, clamped to [0, max]. Pure.
std::chrono::milliseconds retry_delay(std::string_view retry_after, std::chrono::milliseconds backoff,
                                      std::chrono::milliseconds max, UnixMs now);

class LokiPullSource final : public PullSource {
 public:
  LokiPullSource(LokiPullConfig cfg, const Clock& clock, Metrics& metrics, StitchLimits stitch = {});
  ~LokiPullSource() override;

  std::string_view name() const override { return cfg_.name; }
  Result<void> start(const std::vector<SourcePosition>& stored) override;
  Result<Batch> poll(std::chrono::milliseconds max_wait) override;
  Result<void> commit(const Batch& stored) override;
  SourceHealth health() const override;
  void close() override;

  const PullCursor& cursor() const { return cursor_; }

 private:
  Result<Batch> fetch_page();

  LokiPullConfig cfg_;
  const Clock& clock_;
  StitchLimits stitch_;
  struct Http;
  std::unique_ptr<Http> http_;
  std::string path_prefix_;
  std::string bearer_;
  PullCursor cursor_;      // Invariant: the position of the last batch handed out by poll()
  UnixMs next_poll_ms_ = 0;
  Backoff backoff_;  // jittered, from backoff_min_ms to backoff_max_ms
  std::int64_t limit_ = 0;  // raised while stuck on one timestamp
  mutable std::mutex health_mu_;  // health() is read by /readyz from another thread
  SourceHealth health_;           // guarded by health_mu_
  void set_health(SourceHealth h) {
    std::lock_guard lock(health_mu_);
    health_ = std::move(h);
  }
  Counter* bytes_;
  Counter* requests_ok_;
  Counter* requests_retry_;
  Counter* requests_failed_;
};

}  // namespace selfheal::ingest
