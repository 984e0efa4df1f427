#pragma once
// PostgreSQL implementation of LifecycleStore and FingerprintAdminStore (schema/lifecycle_store.hpp):
// the same merge-as-data model as SqliteLifecycle; a merge locks the rows it changes, so two
// instances merging at once serialise instead of forming a chain.
#include <memory>

#include "schema/clock.hpp"
#include "schema/lifecycle_store.hpp"
#include "schema/pg_db.hpp"

namespace selfheal {

class PgLifecycle final : public LifecycleStore, public FingerprintAdminStore {
 public:
  PgLifecycle(std::shared_ptr<PgDb> db, const Clock& clock);
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
  std::shared_ptr<PgDb> db_;
  const Clock& clock_;
};

}  // namespace selfheal
