#pragma once
// Lifecycle and grouping overrides: resolve / ignore / unresolve, merges, audit. Implemented by
// SqliteLifecycle (schema/sqlite_lifecycle.hpp).
// Every change is audited with who and when.
#include <string>
#include <unordered_map>
#include <vector>

#include "schema/clock.hpp"
#include "schema/model.hpp"
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
  /// The newest `limit` audit rows about `subject` (a fingerprint id), newest first (the web UI's trail).
  virtual Result<std::vector<AuditEntry>> audit_of(const std::string& subject, std::size_t limit) = 0;
};

/// A plain-message fingerprint, as the template learner reads it (app/learner.cpp).
struct MessageFingerprint {
  std::string id;
  std::string template_text;
  UnixMs first_seen = 0;
  UnixMs last_seen = 0;
  int severity = 0;
  std::string merged_into;
};

/// A fingerprint whose id an older algorithm made, as the id upgrade reads it (app/upgrade.cpp).
struct OldFingerprint {
  std::string id;
  int algorithm_version = 1;
  std::string merged_into;
  std::int64_t count = 0;
  UnixMs first_seen = 0;
  UnixMs last_seen = 0;
  int severity = 0;
  std::string sample;  // the earliest kept sample's text ("" when none is kept)
  std::string service;
  std::string host;
  Labels labels;
};

/// What the template learner and the id upgrade change besides lifecycle: learned and upgraded rows.
class FingerprintAdminStore {
 public:
  virtual ~FingerprintAdminStore() = default;
  /// Fingerprints without an exception or frames (plain messages) that were observed (not created
  /// by the learner), merged or not, at most `limit`, by id: learning is a function of this set.
  virtual Result<std::vector<MessageFingerprint>> message_fingerprints(std::size_t limit) = 0;
  /// Creates the fingerprint `id` for a learned template if it does not exist (count 0: its counts
  /// come from the ids merged into it), and widens its first/last seen and severity to `like`'s.
  virtual Result<void> ensure_learned(const std::string& id, const std::string& template_text,
                                      const MessageFingerprint& like, int algorithm_version = 1) = 0;
  /// Ids a person unmerged (audit action 'unmerge' by anyone but `learner`): never merged again by it.
  virtual Result<std::vector<std::string>> unmerged_by_people(const std::string& learner) = 0;
  /// Rows whose id an older algorithm made, largest first (count with merged counts, then id).
  virtual Result<std::vector<OldFingerprint>> fingerprints_before_version(int algorithm_version) = 0;
  /// Creates row `id` (count 0) made by `algorithm_version` for the event that made `from.id`, unless
  /// it exists; audited as 'upgraded_id' by actor "upgrade". Returns whether it was created.
  virtual Result<bool> ensure_upgraded(const std::string& id, const std::string& template_text,
                                       const std::string& exception_type, const std::string& frames_json,
                                       const OldFingerprint& from, int algorithm_version) = 0;
  virtual Result<void> set_algorithm_version(const std::string& id, int algorithm_version) = 0;
  /// The rows the learner created for its learned templates (audit 'learned_template'): id, template.
  virtual Result<std::vector<std::pair<std::string, std::string>>> learned_templates() = 0;
};

}  // namespace selfheal
