#pragma once
// Storage of LLM fix suggestions (llm/ writes, app/ reads and reviews). Implementation:
// schema/sqlite_suggestion_store.hpp. Thread-safe; errors come back as Result.
// Review lifecycle: proposed -> accepted | rejected (who, when, comment); accepted -> applied.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/clock.hpp"
#include "schema/result.hpp"

namespace selfheal {

struct StoredSuggestion {
  std::int64_t id = 0;  // assigned by the store
  std::string fingerprint_id;
  std::string status = "proposed";  // proposed | accepted | rejected | applied
  std::string summary;
  std::string root_cause;
  std::string suggested_fix;
  std::string evidence_json = "[]";  // [{"text":..,"supported":bool}]
  double model_confidence = 0;
  double confidence = 0;  // displayed
  std::string confidence_detail_json = "{}";
  std::string provider;
  std::string model;
  std::string context_hash;
  std::string cache_key;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  double cost_usd = 0;
  std::int64_t latency_ms = 0;
  std::string requested_by;
  UnixMs created_at = 0;
  std::string reviewed_by;
  UnixMs reviewed_at = 0;
  std::string review_comment;
  std::string applied_by;
  UnixMs applied_at = 0;
  std::string apply_comment;
  std::string raw;
};

struct SuggestionAttempt {
  std::int64_t id = 0;
  std::string fingerprint_id;
  UnixMs ts = 0;
  std::string provider;
  std::string model;
  std::string outcome;  // ok | failed | cached | over_budget
  std::string error_code;
  std::string error;
  std::string raw;  // the answer as received, kept for failed parses
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t latency_ms = 0;
  int http_attempts = 0;
  std::int64_t suggestion_id = 0;
};

struct SuggestionQuery {
  std::int64_t before_id = 0;  // cursor: ids smaller than this (0: from the newest)
  std::size_t limit = 50;
  std::string fingerprint_id;  // "" = all
  std::string status;          // "" = all
  double min_confidence = 0;
};

struct BudgetUsage {
  std::string day;  // YYYY-MM-DD (UTC)
  std::int64_t calls = 0;
  std::int64_t tokens = 0;
  double cost_usd = 0;
};

/// The review transition: accept/reject from proposed, apply from accepted. Errors: conflict.
inline Result<std::string> next_suggestion_status(std::string_view current, std::string_view action) {
  if (action == "accept" && current == "proposed") return std::string("accepted");
  if (action == "reject" && current == "proposed") return std::string("rejected");
  if (action == "apply" && current == "accepted") return std::string("applied");
  if (action != "accept" && action != "reject" && action != "apply") {
    return make_error(ErrorCode::bad_input, "unknown review action '" + std::string(action) + "'");
  }
  return make_error(ErrorCode::conflict,
                    "cannot " + std::string(action) + " a suggestion that is " + std::string(current));
}

class SuggestionStore {
 public:
  virtual ~SuggestionStore() = default;
  /// Inserts and returns the new id.
  virtual Result<std::int64_t> insert_suggestion(const StoredSuggestion& s) = 0;
  virtual Result<std::int64_t> record_attempt(const SuggestionAttempt& a) = 0;
  virtual Result<std::optional<StoredSuggestion>> suggestion(std::int64_t id) = 0;
  /// Newest suggestion with this cache key that was not rejected.
  virtual Result<std::optional<StoredSuggestion>> find_cached(std::string_view cache_key) = 0;
  /// Newest suggestion of the fingerprint that was not rejected.
  virtual Result<std::optional<StoredSuggestion>> latest_for(std::string_view fingerprint_id) = 0;
  /// Newest first.
  virtual Result<std::vector<StoredSuggestion>> suggestions(const SuggestionQuery& q) = 0;
  /// Applies accept | reject | apply (next_suggestion_status) atomically. Errors: not_found, conflict.
  virtual Result<StoredSuggestion> review(std::int64_t id, std::string_view action, std::string_view who,
                                          std::string_view comment, UnixMs at) = 0;
  /// Newest first.
  virtual Result<std::vector<SuggestionAttempt>> attempts(std::string_view fingerprint_id, std::size_t limit) = 0;
  /// Accepted, rejected or applied suggestions (for the calibration report).
  virtual Result<std::vector<StoredSuggestion>> reviewed() = 0;
  virtual Result<BudgetUsage> budget(std::string_view day) = 0;
  /// Adds to the day's usage.
  virtual Result<void> charge(std::string_view day, std::int64_t calls, std::int64_t tokens, double cost_usd) = 0;
};

}  // namespace selfheal
