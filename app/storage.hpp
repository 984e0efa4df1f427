#pragma once
// Storage wiring: the `storage:` config section becomes one Stores (schema/stores.hpp). Every command
// (serve, ingest, top/show/resolve..., healer, llm) opens its storage here and nowhere else.
#include <memory>

#include "app/config.hpp"
#include "schema/clock.hpp"
#include "schema/stores.hpp"

namespace selfheal::app {

/// The backend options of `cfg.storage` (the PostgreSQL DSN read from the variable `storage.dsn_env`
/// names). Errors: config when that variable is unset or empty.
Result<StorageOptions> storage_options(const Config& cfg);

/// Opens (and migrates) the configured backend once. Errors: config, unavailable.
Result<std::unique_ptr<Stores>> open_stores(const Config& cfg, const Clock& clock);

/// "sqlite <path>" or "postgres <host:port/db>": where the data lives, for messages.
std::string storage_location(const Stores& stores);

}  // namespace selfheal::app
