#include "app/storage.hpp"

#include <cstdlib>

#include "fingerprint/fingerprint.hpp"

namespace selfheal::app {

Result<StorageOptions> storage_options(const Config& cfg) {
  StorageOptions o;
  o.type = cfg.storage.type;
  o.sqlite_path = cfg.storage.db_path();
  o.synchronous_full = cfg.storage.synchronous_full;
  o.postgres_pool = cfg.storage.pool;
  if (o.type == "postgres") {
    const char* dsn = cfg.storage.dsn_env.empty() ? nullptr : std::getenv(cfg.storage.dsn_env.c_str());
    if (!dsn || !*dsn)
      return make_error(ErrorCode::config, "storage.dsn_env names " +
                                               (cfg.storage.dsn_env.empty() ? std::string("no variable")
                                                                            : "'" + cfg.storage.dsn_env + "'") +
                                               ", which holds no PostgreSQL connection string");
    o.postgres_dsn = dsn;
  }
  o.store.regression_grace_ms = cfg.storage.regression_grace_ms;
  o.store.algorithm_version = fingerprint::algorithm_version;
  return o;
}

Result<std::unique_ptr<Stores>> open_stores(const Config& cfg, const Clock& clock) {
  auto o = storage_options(cfg);
  if (!o) return o.error();
  return Stores::open(*o, clock);
}

std::string storage_location(const Stores& stores) {
  return std::string(stores.backend()) + " " + stores.location();
}

}  // namespace selfheal::app
