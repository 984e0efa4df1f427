#pragma once
// PostgreSQL implementation of SuggestionStore (tables of pg_migrations/0002_healer_llm.sql): one
// suggestion cache and one daily budget for the whole fleet.
#include <memory>

#include "schema/pg_db.hpp"
#include "schema/suggestion_store.hpp"

namespace selfheal {

class PgSuggestionStore final : public SuggestionStore {
 public:
  explicit PgSuggestionStore(std::shared_ptr<PgDb> db);
  Result<std::int64_t> insert_suggestion(const StoredSuggestion& s) override;
  Result<std::int64_t> record_attempt(const SuggestionAttempt& a) override;
  Result<std::optional<StoredSuggestion>> suggestion(std::int64_t id) override;
  Result<std::optional<StoredSuggestion>> find_cached(std::string_view cache_key) override;
  Result<std::optional<StoredSuggestion>> latest_for(std::string_view fingerprint_id) override;
  Result<std::vector<StoredSuggestion>> suggestions(const SuggestionQuery& q) override;
  Result<StoredSuggestion> review(std::int64_t id, std::string_view action, std::string_view who,
                                  std::string_view comment, UnixMs at) override;
  Result<std::vector<SuggestionAttempt>> attempts(std::string_view fingerprint_id, std::size_t limit) override;
  Result<std::vector<StoredSuggestion>> reviewed() override;
  Result<BudgetUsage> budget(std::string_view day) override;
  Result<void> charge(std::string_view day, std::int64_t calls, std::int64_t tokens, double cost_usd) override;

 private:
  std::shared_ptr<PgDb> db_;
};

}  // namespace selfheal
