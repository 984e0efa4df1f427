#pragma once
// For schema/*_store.cpp only: what a commit decides about one fingerprint, whichever backend writes
// it (SqliteStore, PgStore), so both store the same rows for the same batch.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "schema/fingerprint_dims.hpp"
#include "schema/store.hpp"
#include "schema/write_batch.hpp"

namespace selfheal::detail {

/// The service with the most events of this batch (the fingerprint's service when it is new).
inline std::string main_service(const FingerprintDelta& d) {
  std::string main;
  std::int64_t best = -1;
  for (const auto& [name, c] : d.services.entries)
    if (c > best) main = name, best = c;
  return main;
}

/// The fingerprint's row after the batch's upsert.
struct UpsertedRow {
  std::int64_t total = 0;  // count after this batch
  std::string status;
  std::int64_t resolved_at = 0;
  std::int64_t samples_seen = 0;  // after this batch
  std::int64_t ignore_until_ms = 0;
  std::int64_t ignore_until_count = 0;
  std::int64_t ignore_rate_per_min = 0;
};

/// A resolved fingerprint comes back when an event arrives after the grace window.
inline bool regresses(const UpsertedRow& row, const FingerprintDelta& d, const StoreOptions& o) {
  return row.status == "resolved" && d.last > row.resolved_at + o.regression_grace_ms;
}

/// An ignore ends when its bound is reached: a time, N more events, or a minute above a rate.
inline bool ignore_ends(const UpsertedRow& row, UnixMs now, std::int64_t busiest_minute) {
  return row.status == "ignored" && ((row.ignore_until_ms > 0 && now >= row.ignore_until_ms) ||
                                     (row.ignore_until_count > 0 && row.total >= row.ignore_until_count) ||
                                     (row.ignore_rate_per_min > 0 && busiest_minute > row.ignore_rate_per_min));
}

struct SampleWrite {
  std::size_t index = 0;  // into d.samples
  const char* kind = "first";  // first (kept only if the slot is free) | recent | reservoir (replace)
  std::int64_t slot = 0;
};

/// Samples: the first few ever (insert-if-absent keeps the oldest), a ring of the most recent, and a
/// reservoir (Algorithm R over samples_seen) so old and typical occurrences stay visible.
inline std::vector<SampleWrite> plan_samples(const FingerprintDelta& d, const UpsertedRow& row, const StoreOptions& o,
                                             std::minstd_rand& rng) {
  std::vector<SampleWrite> out;
  const std::int64_t seen = row.samples_seen;
  const std::int64_t seen_before = seen - d.count;
  for (std::size_t i = 0; i < d.samples.size(); ++i) {
    const auto& s = d.samples[i];
    // The batch keeps its first samples in order and overwrites its last slot with its latest event.
    const bool is_latest = i + 1 == d.samples.size() && d.count > static_cast<std::int64_t>(d.samples.size());
    const std::int64_t ordinal = is_latest ? seen - 1 : seen_before + static_cast<std::int64_t>(i);
    if (static_cast<std::size_t>(ordinal) < o.first_samples) {
      out.push_back({i, "first", ordinal});
      continue;
    }
    // The ring holds the latest sample of recent commits, one slot per second of event time, so a
    // busy fingerprint costs one sample write per commit, not one per batch sample.
    const auto ring = static_cast<std::int64_t>(std::max<std::size_t>(o.recent_samples, 1));
    if (i + 1 == d.samples.size()) out.push_back({i, "recent", (((s.ts / 1000) % ring) + ring) % ring});
    std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ordinal, 0));
    const std::int64_t j = pick(rng);
    if (j < static_cast<std::int64_t>(o.reservoir_samples)) out.push_back({i, "reservoir", j});
  }
  return out;
}

/// Fingerprints of a batch in id order: every table is keyed by fingerprint id first (neighbouring
/// pages in SQLite; one lock order for concurrent PostgreSQL writers, so they never deadlock).
inline std::vector<const std::pair<const std::string, FingerprintDelta>*> in_id_order(const WriteBatch& batch) {
  std::vector<const std::pair<const std::string, FingerprintDelta>*> order;
  order.reserve(batch.fingerprints().size());
  for (const auto& kv : batch.fingerprints()) order.push_back(&kv);
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  return order;
}

/// Sets the receipt's latency and warns about dims rows that had to start afresh.
void finish_commit(Result<CommitReceipt>& r, std::chrono::steady_clock::time_point started);

/// Adds `from`'s name counts into `into` (the services and hosts of merged fingerprints).
void add_name_counts(NameCounts& into, const NameCounts& from);
/// The summary's services and hosts: the top `limit` of `dims`.
void fill_names(FingerprintSummary& s, const FingerprintDims& dims, std::size_t limit);

/// Cursor of the fingerprint listing: "<sort>.<key>.<id>" where key is the sort key of the last row.
struct ListCursor {
  char sort = 'c';
  std::int64_t key = 0;
  std::string id;
};
std::optional<ListCursor> parse_list_cursor(const std::string& c);
char list_sort_code(FingerprintSort s);
/// The cursor after `last` (the page's last row).
std::string list_cursor_after(const FingerprintQuery& q, const FingerprintRow& last);

}  // namespace selfheal::detail
