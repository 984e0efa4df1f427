#pragma once
#include "app/fingerprinting.hpp"
#include "schema/sqlite_store.hpp"

namespace selfheal::app {
/// Loads the merge table from the store into the fingerprinting front (at start and after merges).
void load_merges(SqliteStore& store, Fingerprinting& fp);
}  // namespace selfheal::app
