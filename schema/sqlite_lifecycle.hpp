#pragma once
#include <memory>

#include "schema/lifecycle_store.hpp"
#include "schema/model.hpp"
#include "schema/sqlite_db.hpp"

namespace selfheal {

/// Merges are kept as data, not by moving rows: a merged fingerprint keeps its own counts and is
/// shown folded into its target (queries sum them), so unmerge restores exactly and counts are conserved.
/// New events of a merged id are redirected to the target by the pipeline (app/fingerprinting).
class SqliteLifecycle final : public LifecycleStore {
 public:
  SqliteLifecycle(std::shared_ptr<SqliteDb> db, const Clock& clock);
  Result<void> resolve(const std::string& id, const std::string& actor) override;
  Result<void> unresolve(const std::string& id, const std::string& actor) override;
  Result<void> ignore(const std::string& id, const IgnoreSpec& spec, const std::string& actor) override;
  Result<void> merge(const std::string& source, const std::string& target, const std::string& actor) override;
  Result<void> unmerge(const std::string& source, const std::string& actor) override;
  Result<std::unordered_map<std::string, std::string>> merges() override;
  Result<std::vector<AuditEntry>> audit(std::int64_t after_id, std::size_t limit) override;
  Result<void> append_audit(const std::string& actor, const std::string& action, const std::string& subject,
                            const std::string& detail) override;
  /// The newest `limit` audit rows about `subject` (a fingerprint id), newest first (the web UI's trail).
  Result<std::vector<AuditEntry>> audit_of(const std::string& subject, std::size_t limit);

  // For the template learner (app/learner.cpp).
  struct MessageFingerprint {
    std::string id;
    std::string template_text;
    UnixMs first_seen = 0;
    UnixMs last_seen = 0;
    int severity = 0;
    std::string merged_into;
  };
  /// Fingerprints without an exception or frames (plain messages) that were observed (not created
  /// by the learner), merged or not, at most `limit`, by id: learning is a function of this set.
  Result<std::vector<MessageFingerprint>> message_fingerprints(std::size_t limit);
  /// Creates the fingerprint `id` for a learned template if it does not exist (count 0: its counts
  /// come from the ids merged into it), and widens its first/last seen and severity to `like`'s.
  Result<void> ensure_learned(const std::string& id, const std::string& template_text, const MessageFingerprint& like,
                              int algorithm_version = 1);
  /// Ids a person unmerged (audit action 'unmerge' by anyone but `learner`): never merged again by it.
  Result<std::vector<std::string>> unmerged_by_people(const std::string& learner);
  // For the id upgrade after a fingerprint algorithm change (app/upgrade.cpp).
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
  /// Rows whose id an older algorithm made, largest first (count with merged counts, then id).
  Result<std::vector<OldFingerprint>> fingerprints_before_version(int algorithm_version);
  /// Creates row `id` (count 0) made by `algorithm_version` for the event that made `from.id`, unless
  /// it exists; audited as 'upgraded_id' by actor "upgrade". Returns whether it was created.
  Result<bool> ensure_upgraded(const std::string& id, const std::string& template_text, const std::string& exception_type,
                               const std::string& frames_json, const OldFingerprint& from, int algorithm_version);
  Result<void> set_algorithm_version(const std::string& id, int algorithm_version);
  /// The rows the learner created for its learned templates (audit 'learned_template'): id, template.
  Result<std::vector<std::pair<std::string, std::string>>> learned_templates();

 private:
  std::shared_ptr<SqliteDb> db_;
  const Clock& clock_;
};

}  // namespace selfheal
