#pragma once
// The one owner of an instance's storage: opens the backend once (SQLite file or PostgreSQL server),
// applies its migrations and hands out every store as an interface. Nothing else opens a database:
// `selfheal serve` and every CLI command go through Stores::open.
#include <memory>
#include <string>
#include <string_view>

#include "schema/clock.hpp"
#include "schema/healing_store.hpp"
#include "schema/lifecycle_store.hpp"
#include "schema/result.hpp"
#include "schema/store.hpp"
#include "schema/suggestion_store.hpp"

namespace selfheal {

struct StorageOptions {
  std::string type = "sqlite";  // sqlite | postgres
  // sqlite
  std::string sqlite_path;  // the database file
  bool synchronous_full = false;
  int busy_timeout_ms = 5000;
  // postgres: a libpq connection string (key=value or postgresql:// URI)
  std::string postgres_dsn;
  int postgres_pool = 4;  // connections (each thread that uses the store borrows one per call)
  StoreOptions store;
};

class Stores {
 public:
  /// Opens and migrates the backend. Errors: config (unknown type, newer schema, bad DSN),
  /// unavailable (I/O, server unreachable).
  static Result<std::unique_ptr<Stores>> open(const StorageOptions& opts, const Clock& clock);
  virtual ~Stores() = default;

  virtual Store& store() = 0;
  virtual LifecycleStore& lifecycle() = 0;
  virtual FingerprintAdminStore& fingerprint_admin() = 0;
  virtual HealingLog& healing_log() = 0;
  virtual PolicyStateStore& policy_state() = 0;
  virtual ApprovalStore& approvals() = 0;
  virtual HealingViews& healing_views() = 0;
  virtual SuggestionStore& suggestions() = 0;

  /// "sqlite" or "postgres".
  virtual std::string_view backend() const = 0;
  /// Where the data lives, for logs: the file path, or the server (host, port, database; no password).
  virtual std::string location() const = 0;
  virtual int schema_version() const = 0;
};

}  // namespace selfheal
