#pragma once
#include <memory>

#include "schema/lifecycle_store.hpp"
#include "schema/model.hpp"
#include "schema/sqlite_db.hpp"

namespace selfheal {

/// Merges are kept as data, not by moving rows: a merged fingerprint keeps its own counts and is
/// shown folded into its target (queries sum them), so unmerge restores exactly and counts are conserved.
/// New events of a merged id are redirected to the target by the pipeline (app/fingerprinting).
class SqliteLifecycle final : public LifecycleStore, public FingerprintAdminStore {
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
  Result<std::vector<AuditEntry>> audit_of(const std::string& subject, std::size_t limit) override;

  using MessageFingerprint = selfheal::MessageFingerprint;
  using OldFingerprint = selfheal::OldFingerprint;
  Result<std::vector<MessageFingerprint>> message_fingerprints(std::size_t limit) override;
  Result<void> ensure_learned(const std::string& id, const std::string& template_text, const MessageFingerprint& like,
                              int algorithm_version = 1) override;
  Result<std::vector<std::string>> unmerged_by_people(const std::string& learner) override;
  Result<std::vector<OldFingerprint>> fingerprints_before_version(int algorithm_version) override;
  Result<bool> ensure_upgraded(const std::string& id, const std::string& template_text, const std::string& exception_type,
                               const std::string& frames_json, const OldFingerprint& from, int algorithm_version) override;
  Result<void> set_algorithm_version(const std::string& id, int algorithm_version) override;
  Result<std::vector<std::pair<std::string, std::string>>> learned_templates() override;

 private:
  std::shared_ptr<SqliteDb> db_;
  const Clock& clock_;
};

}  // namespace selfheal
