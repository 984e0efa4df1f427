#pragma once
// For schema/stores.cpp and schema/pg_stores.cpp: Stores over one backend's database handle and its
// four store classes (events; lifecycle + admin; healer; suggestions). The includer declares
// `std::string database_location(const Db&)` in namespace selfheal.
#include <memory>
#include <string>

#include "schema/stores.hpp"

namespace selfheal::detail {

template <typename Db, typename EventStoreT, typename LifecycleT, typename HealingT, typename SuggestionT>
class StoresOf final : public Stores {
 public:
  StoresOf(std::string_view backend, std::shared_ptr<Db> db, const Clock& clock, const StoreOptions& opts)
      : backend_(backend), db_(std::move(db)), store_(db_, clock, opts), lifecycle_(db_, clock), healing_(db_),
        suggestions_(db_) {}

  Store& store() override { return store_; }
  LifecycleStore& lifecycle() override { return lifecycle_; }
  FingerprintAdminStore& fingerprint_admin() override { return lifecycle_; }
  HealingLog& healing_log() override { return healing_; }
  PolicyStateStore& policy_state() override { return healing_; }
  ApprovalStore& approvals() override { return healing_; }
  HealingViews& healing_views() override { return healing_; }
  SuggestionStore& suggestions() override { return suggestions_; }
  std::string_view backend() const override { return backend_; }
  std::string location() const override { return database_location(*db_); }  // found by ADL
  int schema_version() const override { return db_->schema_version(); }

 private:
  std::string_view backend_;  // a literal
  std::shared_ptr<Db> db_;
  EventStoreT store_;
  LifecycleT lifecycle_;
  HealingT healing_;
  SuggestionT suggestions_;
};

}  // namespace selfheal::detail
