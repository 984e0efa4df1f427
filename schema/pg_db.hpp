#pragma once
// The PostgreSQL database several instances share (storage.type: postgres): a small pool of libpq
// connections, the embedded migrations of schema/pg_migrations/ applied under an advisory lock (so
// instances starting together migrate once), and a refusal of a schema written by a newer version.
// Public header: no libpq types here (schema/detail/pg_access.hpp has them for implementations).
#include <memory>
#include <string>

#include "schema/result.hpp"

namespace selfheal {

struct PgOptions {
  std::string dsn;        // libpq connection string (key=value pairs or a postgresql:// URI)
  int pool = 4;           // connections, opened lazily; a caller waits when all are lent
  int connect_timeout_s = 5;
};

class PgDb {
 public:
  /// Connects once (to fail early on a bad DSN) and migrates. Errors: config (newer schema, bad DSN),
  /// unavailable (server unreachable).
  static Result<std::shared_ptr<PgDb>> open(const PgOptions& opts);
  ~PgDb();
  PgDb(const PgDb&) = delete;
  PgDb& operator=(const PgDb&) = delete;

  int schema_version() const;
  static int latest_schema_version();
  /// host:port/dbname of the server (never the password), for logs.
  const std::string& location() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  explicit PgDb(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace selfheal
