#pragma once
#include "app/fingerprinting.hpp"
#include "schema/lifecycle_store.hpp"

namespace selfheal::app {
/// Loads the merge table from the store into the fingerprinting front (at start and after merges).
void load_merges(LifecycleStore& lifecycle, Fingerprinting& fp);
}  // namespace selfheal::app
