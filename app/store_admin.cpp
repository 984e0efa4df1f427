#include "app/store_admin.hpp"

#include "schema/sqlite_lifecycle.hpp"

namespace selfheal::app {

void load_merges(SqliteStore& store, Fingerprinting& fp) {
  SqliteLifecycle lc(store.db_ptr(), store.clock());
  if (auto m = lc.merges()) fp.set_merges(std::move(*m));
}

}  // namespace selfheal::app
