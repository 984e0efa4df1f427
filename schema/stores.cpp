#include "schema/stores.hpp"

#include "schema/detail/pg_stores.hpp"
#include "schema/detail/stores_of.hpp"
#include "schema/sqlite_db.hpp"
#include "schema/sqlite_healing_store.hpp"
#include "schema/sqlite_lifecycle.hpp"
#include "schema/sqlite_store.hpp"
#include "schema/sqlite_suggestion_store.hpp"

namespace selfheal {

std::string database_location(const SqliteDb& db) { return db.path(); }

Result<std::unique_ptr<Stores>> Stores::open(const StorageOptions& opts, const Clock& clock) {
  if (opts.type == "sqlite") {
    SqliteOptions so;
    so.path = opts.sqlite_path;
    so.busy_timeout_ms = opts.busy_timeout_ms;
    so.synchronous_full = opts.synchronous_full;
    auto db = SqliteDb::open(so);
    if (!db) return db.error();
    using SqliteStores =
        detail::StoresOf<SqliteDb, SqliteStore, SqliteLifecycle, SqliteHealingStore, SqliteSuggestionStore>;
    return std::unique_ptr<Stores>(std::make_unique<SqliteStores>("sqlite", std::move(*db), clock, opts.store));
  }
  if (opts.type == "postgres") return detail::open_pg_stores(opts, clock);
  return make_error(ErrorCode::config, "storage type '" + opts.type + "' is not one of sqlite, postgres");
}

}  // namespace selfheal
