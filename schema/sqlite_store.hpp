#pragma once
// SQLite implementation of the event-side store interfaces. Thread-safe.
#include <memory>

#include "schema/clock.hpp"
#include "schema/sqlite_db.hpp"
#include "schema/store.hpp"

namespace selfheal {

struct StoreOptions {
  std::int64_t regression_grace_ms = 60'000;  // events this soon after a resolve do not reopen it
  std::size_t max_dead_letter_bytes = 64 * 1024;
  std::size_t first_samples = 3;
  std::size_t recent_samples = 3;
  std::size_t reservoir_samples = 3;
  std::size_t max_values_per_position = 64;
  int algorithm_version = 1;  // fingerprint algorithm that made the ids written (app passes the current one)
};

class SqliteStore final : public EventStore,
                          public PositionStore,
                          public DeadLetterStore,
                          public QueryStore,
                          public MaintenanceStore {
 public:
  SqliteStore(std::shared_ptr<SqliteDb> db, const Clock& clock, StoreOptions opts = {});

  Result<CommitReceipt> commit(const WriteBatch& batch) override;
  Result<std::vector<SourcePosition>> positions(std::string_view source) override;
  Result<std::vector<DeadLetter>> dead_letters(const DeadLetterQuery& q) override;
  Result<std::int64_t> dead_letter_count() override;
  Result<void> mark_replayed(std::int64_t id) override;
  Result<std::optional<FingerprintSummary>> fingerprint(std::string_view id) override;
  Result<std::vector<MinuteCount>> series(std::string_view id, UnixMs from, UnixMs to) override;
  Result<std::vector<StoredSample>> samples(std::string_view id, std::size_t limit) override;
  Result<std::vector<ValueCount>> values(std::string_view id, std::size_t per_position) override;
  Result<std::vector<SourceStat>> source_stats() override;
  Result<std::int64_t> fingerprint_count() override;
  Result<FingerprintPage> list(const FingerprintQuery& q) override;
  Result<std::vector<DistinctEstimate>> distinct_values(std::string_view id) override;
  Result<std::vector<std::string>> merged_children(std::string_view id) override;
  Result<PruneReport> prune(const RetentionPolicy& p) override;
  /// Hourly counts (rolled up from minutes older than a day) in [from, to).
  Result<std::vector<MinuteCount>> hours(std::string_view id, UnixMs from, UnixMs to);
  /// Events per fingerprint in [from, now) for the given ids (rate and escalation of a page).
  Result<std::vector<std::pair<std::string, std::vector<MinuteCount>>>> recent_series(
      const std::vector<std::string>& ids, UnixMs from);

  SqliteDb& db() { return *db_; }
  std::shared_ptr<SqliteDb> db_ptr() { return db_; }
  const Clock& clock() const { return clock_; }
  const StoreOptions& options() const { return opts_; }

 private:
  std::shared_ptr<SqliteDb> db_;
  const Clock& clock_;
  StoreOptions opts_;
};

}  // namespace selfheal
