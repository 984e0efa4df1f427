#pragma once
// Narrow store interfaces (one class may implement several). Implementations: schema/sqlite_store.hpp,
// schema/pg_store.hpp; schema/stores.hpp owns them.
// Contract for every implementation:
//  - commit() applies a WriteBatch atomically: counts, positions and dead letters land together or not
//    at all, so a source that stores its position in the batch never loses or double-counts a line.
//  - All methods are thread-safe. Errors come back as Result, never as exceptions.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/model.hpp"
#include "schema/result.hpp"
#include "schema/write_batch.hpp"

namespace selfheal {

/// The (service, host) of the events one commit added to a fingerprint: what the healer decides on.
struct TouchedScope {
  std::string id;
  std::string service;
  std::string host;
  std::int64_t count = 0;
};

struct CommitReceipt {
  std::int64_t events = 0;
  std::int64_t fingerprints = 0;           // distinct fingerprints touched
  std::vector<std::string> touched_ids;    // every fingerprint this commit updated
  std::vector<TouchedScope> touched_scopes;  // (fingerprint, service, host) of this commit's events
  std::vector<std::string> new_ids;        // fingerprints seen for the first time
  std::vector<std::string> regressed_ids;  // resolved fingerprints that came back (after the grace window)
  std::vector<std::string> unignored_ids;  // ignored fingerprints whose ignore bound ended
  std::vector<std::pair<std::string, std::string>> new_by_service;  // (service, id) of new fingerprints
  double seconds = 0;                      // transaction latency
  std::int64_t dims_reset = 0;             // unreadable services/values rows started afresh (should stay 0)
};

class EventStore {
 public:
  virtual ~EventStore() = default;
  /// Commits the batch in one transaction. Blocks for the duration of the transaction.
  virtual Result<CommitReceipt> commit(const WriteBatch& batch) = 0;
};

class PositionStore {
 public:
  virtual ~PositionStore() = default;
  /// Every stored position of a source instance (e.g. all partitions of a Kafka source).
  virtual Result<std::vector<SourcePosition>> positions(std::string_view source) = 0;
};

struct DeadLetterQuery {
  std::int64_t after_id = 0;  // cursor: ids greater than this
  std::size_t limit = 50;
  std::string source;         // empty: all
};

class DeadLetterStore {
 public:
  virtual ~DeadLetterStore() = default;
  virtual Result<std::vector<DeadLetter>> dead_letters(const DeadLetterQuery& q) = 0;
  virtual Result<std::int64_t> dead_letter_count() = 0;
  virtual Result<void> mark_replayed(std::int64_t id) = 0;
};

struct NamedCount {
  std::string name;
  std::int64_t count = 0;
};

struct MinuteCount {
  UnixMs minute = 0;
  std::int64_t count = 0;
};

/// What the API, the healer and the LLM context builder read about one fingerprint.
struct FingerprintSummary {
  std::string id;
  std::string template_text;
  std::string exception_type;
  std::string frames_json;
  std::string status;    // unresolved | resolved | ignored
  std::string severity;  // debug..critical
  std::int64_t count = 0;  // its own events
  std::int64_t total = 0;  // count + the events of fingerprints merged into it
  UnixMs first_seen = 0;
  UnixMs last_seen = 0;
  std::vector<NamedCount> services;  // union over the fingerprints merged into it
  std::vector<NamedCount> hosts;
  std::string merged_into;  // non-empty when merged into another fingerprint
  UnixMs resolved_at = 0;
  UnixMs regressed_at = 0;  // last regression (0: never)
};

struct StoredSample {
  UnixMs ts = 0;
  std::string kind;  // first | recent | reservoir
  std::string message;
  std::string service;
  std::string host;
  std::string labels_json;
};

struct ValueCount {
  int position = 0;
  std::string value;
  std::int64_t count = 0;
  bool upper_bound = false;  // values of this position were evicted (Space-Saving): count is an upper bound
};

/// Distinct values seen behind one <*> (HyperLogLog estimate, exact below the stored cap).
struct DistinctEstimate {
  int position = 0;
  std::int64_t distinct = 0;
  bool estimated = false;  // the HyperLogLog estimate (values were evicted); else exact
};

enum class FingerprintSort { count, last_seen, rate };

/// Listing query. Cursor pagination: `cursor` is the opaque string of the previous page.
struct FingerprintQuery {
  std::string service;
  std::string status;       // unresolved | resolved | ignored | "" (all)
  std::string min_severity; // debug..critical or ""
  UnixMs since = 0;         // last_seen >= since
  std::string q;            // substring of the template or id prefix
  FingerprintSort sort = FingerprintSort::count;
  std::size_t limit = 50;
  std::string cursor;
  UnixMs now = 0;           // for rate (events in the last rate_window_ms)
  std::int64_t rate_window_ms = 5 * 60'000;
  bool include_merged = false;  // merged fingerprints are folded into their target by default
};

struct FingerprintRow {
  FingerprintSummary summary;
  std::int64_t total = 0;   // count including fingerprints merged into this one
  std::int64_t recent = 0;  // events in the rate window
};

struct FingerprintPage {
  std::vector<FingerprintRow> rows;
  std::string next_cursor;  // empty: last page
};

struct SourceStat {
  std::string source;
  std::string service;
  std::int64_t lines = 0;
  std::int64_t events = 0;
  std::int64_t kept = 0;
};

class QueryStore {
 public:
  virtual ~QueryStore() = default;
  virtual Result<std::optional<FingerprintSummary>> fingerprint(std::string_view id) = 0;
  /// Per-minute counts in [from, to), ascending; minutes without events are absent.
  virtual Result<std::vector<MinuteCount>> series(std::string_view id, UnixMs from, UnixMs to) = 0;
  virtual Result<std::vector<StoredSample>> samples(std::string_view id, std::size_t limit) = 0;
  virtual Result<std::vector<ValueCount>> values(std::string_view id, std::size_t per_position) = 0;
  virtual Result<std::vector<SourceStat>> source_stats() = 0;
  virtual Result<std::int64_t> fingerprint_count() = 0;
  /// Errors: bad_input for a malformed cursor.
  virtual Result<FingerprintPage> list(const FingerprintQuery& q) = 0;
  virtual Result<std::vector<DistinctEstimate>> distinct_values(std::string_view id) = 0;
  /// Fingerprints merged into `id`.
  virtual Result<std::vector<std::string>> merged_children(std::string_view id) = 0;
  /// Hourly counts (rolled up from minutes older than a day) in [from, to).
  virtual Result<std::vector<MinuteCount>> hours(std::string_view id, UnixMs from, UnixMs to) = 0;
  /// Events per fingerprint in [from, now) for the given ids (rate and escalation of a page).
  virtual Result<std::vector<std::pair<std::string, std::vector<MinuteCount>>>> recent_series(
      const std::vector<std::string>& ids, UnixMs from) = 0;
};

struct RetentionPolicy {
  UnixMs now = 0;
  std::int64_t minute_rollup_after_ms = 24 * 3600'000LL;  // older minutes are summed into hours
  std::int64_t retention_ms = 14 * 24 * 3600'000LL;       // hours, samples, dead letters older are pruned
  // Healing history is kept at least this long whatever retention_ms says: the healer's guards
  // (cooldowns, max runs per window, up to 30 days) count past runs.
  std::int64_t min_healing_history_ms = 31 * 24 * 3600'000LL;
};

struct PruneReport {
  std::int64_t minutes_rolled_up = 0;
  std::int64_t hours_pruned = 0;
  std::int64_t samples_pruned = 0;
  std::int64_t dead_letters_pruned = 0;
  std::int64_t healing_rows_pruned = 0;  // finished healing runs, decided approvals, ended throttles, LLM attempts
};

class MaintenanceStore {
 public:
  virtual ~MaintenanceStore() = default;
  virtual Result<PruneReport> prune(const RetentionPolicy& p) = 0;
};

/// What the event-side stores share, whichever backend (SqliteStore, PgStore).
struct StoreOptions {
  std::int64_t regression_grace_ms = 60'000;  // events this soon after a resolve do not reopen it
  std::size_t max_dead_letter_bytes = 64 * 1024;
  std::size_t first_samples = 3;
  std::size_t recent_samples = 3;
  std::size_t reservoir_samples = 3;
  std::size_t max_values_per_position = 64;
  int algorithm_version = 1;  // fingerprint algorithm that made the ids written (app passes the current one)
};

/// The event side of one backend in one object: what the pipeline commits to, sources keep their
/// positions in, and the API, healer and LLM read from (schema/stores.hpp hands it out).
class Store : public EventStore,
              public PositionStore,
              public DeadLetterStore,
              public QueryStore,
              public MaintenanceStore {};

}  // namespace selfheal
