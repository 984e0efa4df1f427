#pragma once
// Lifecycle and grouping overrides: resolve / ignore / unresolve, merges, audit. Implemented by
// SqliteLifecycle (schema/sqlite_lifecycle.hpp). Every change is audited with who and when.
#include <string>
#include <unordered_map>
#include <vector>

#include "schema/clock.hpp"
#include "schema/result.hpp"

namespace selfheal {

struct IgnoreSpec {
  UnixMs until_ms = 0;              // 0: no time bound
  std::int64_t more_events = 0;     // 0: no count bound; N: ends after N more events
  std::int64_t rate_per_min = 0;    // 0: no rate bound; a minute above it ends the ignore
};

struct AuditEntry {
  std::int64_t id = 0;
  UnixMs ts = 0;
  std::string actor;
  std::string action;
  std::string subject;
  std::string detail;
};

class LifecycleStore {
 public:
  virtual ~LifecycleStore() = default;
  virtual Result<void> resolve(const std::string& id, const std::string& actor) = 0;
  virtual Result<void> unresolve(const std::string& id, const std::string& actor) = 0;
  virtual Result<void> ignore(const std::string& id, const IgnoreSpec& spec, const std::string& actor) = 0;
  /// Merges `source` into `target`: moves its counts, minutes, names, values and samples, and records the
  /// merge so future events of `source` count on `target`. Chains are flattened.
  virtual Result<void> merge(const std::string& source, const std::string& target, const std::string& actor) = 0;
  /// Undoes a merge: future events count on `source` again; the moved history is restored from the
  /// merge's record of what it moved.
  virtual Result<void> unmerge(const std::string& source, const std::string& actor) = 0;
  virtual Result<std::unordered_map<std::string, std::string>> merges() = 0;
  virtual Result<std::vector<AuditEntry>> audit(std::int64_t after_id, std::size_t limit) = 0;
  virtual Result<void> append_audit(const std::string& actor, const std::string& action, const std::string& subject,
                                    const std::string& detail) = 0;
};

}  // namespace selfheal
