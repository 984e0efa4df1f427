#include "schema/detail/pg_stores.hpp"
#include "schema/detail/stores_of.hpp"
#include "schema/pg_db.hpp"
#include "schema/pg_healing_store.hpp"
#include "schema/pg_lifecycle.hpp"
#include "schema/pg_store.hpp"
#include "schema/pg_suggestion_store.hpp"

namespace selfheal {
std::string database_location(const PgDb& db) { return db.location(); }
}  // namespace selfheal

namespace selfheal::detail {

Result<std::unique_ptr<Stores>> open_pg_stores(const StorageOptions& opts, const Clock& clock) {
  PgOptions po;
  po.dsn = opts.postgres_dsn;
  po.pool = opts.postgres_pool;
  auto db = PgDb::open(po);
  if (!db) return db.error();
  using PgStores = StoresOf<PgDb, PgStore, PgLifecycle, PgHealingStore, PgSuggestionStore>;
  return std::unique_ptr<Stores>(std::make_unique<PgStores>("postgres", std::move(*db), clock, opts.store));
}

}  // namespace selfheal::detail
