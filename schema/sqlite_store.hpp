#pragma once
// SQLite implementation of the event-side store interfaces. Thread-safe.
#include <memory>

#include "schema/clock.hpp"
#include "schema/sqlite_db.hpp"
#include "schema/store.hpp"

namespace selfheal {

class SqliteStore final : public Store {
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
  Result<std::vector<MinuteCount>> hours(std::string_view id, UnixMs from, UnixMs to) override;
  Result<std::vector<std::pair<std::string, std::vector<MinuteCount>>>> recent_series(
      const std::vector<std::string>& ids, UnixMs from) override;

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
