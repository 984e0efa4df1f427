#pragma once
// For schema/stores.cpp: the PostgreSQL backend of Stores (schema/pg_stores.cpp).
#include <memory>

#include "schema/stores.hpp"

namespace selfheal::detail {
Result<std::unique_ptr<Stores>> open_pg_stores(const StorageOptions& opts, const Clock& clock);
}  // namespace selfheal::detail
