#include "schema/sqlite_db.hpp"

#include <filesystem>

#include "schema/detail/sqlite_access.hpp"
#include "schema/migrations.hpp"

namespace selfheal {

SqliteDb::SqliteDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteDb::~SqliteDb() = default;

int SqliteDb::latest_schema_version() {
  const auto& m = detail::embedded_migrations();
  return m.empty() ? 0 : m.back().version;
}

int SqliteDb::schema_version() const { return impl_->version; }
const std::string& SqliteDb::path() const { return impl_->path; }

Result<bool> SqliteDb::integrity_ok() {
  return detail::with_reader(*this, [](SQLite::Database& db) -> Result<bool> {
    return db.execAndGet("PRAGMA integrity_check").getString() == "ok";
  });
}

Result<std::shared_ptr<SqliteDb>> SqliteDb::open(const SqliteOptions& opts) {
  auto impl = std::make_unique<Impl>();
  impl->path = opts.path;
  try {
    auto parent = std::filesystem::path(opts.path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    impl->writer = std::make_unique<SQLite::Database>(opts.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE |
                                                                     SQLite::OPEN_FULLMUTEX);
    auto& w = *impl->writer;
    w.setBusyTimeout(opts.busy_timeout_ms);
    w.exec("PRAGMA journal_mode=WAL");
    w.exec(opts.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    w.exec("PRAGMA foreign_keys=ON");
    w.exec("PRAGMA temp_store=MEMORY");
    w.exec("PRAGMA cache_size=-65536");

    int version = w.execAndGet("PRAGMA user_version").getInt();
    const int latest = latest_schema_version();
    if (version > latest) {
      return Error{ErrorCode::config, "store: database " + opts.path + " has schema version " +
                                          std::to_string(version) + " but this selfheal knows only up to " +
                                          std::to_string(latest) +
                                          "; it was written by a newer selfheal. Upgrade selfheal or use another "
                                          "--data-dir."};
    }
    for (const auto& m : detail::embedded_migrations()) {
      if (m.version <= version) continue;
      SQLite::Transaction tx(w);
      w.exec(m.sql);
      w.exec("PRAGMA user_version = " + std::to_string(m.version));
      tx.commit();
      version = m.version;
    }
    impl->version = version;
    impl->reader = std::make_unique<SQLite::Database>(opts.path, SQLite::OPEN_READONLY | SQLite::OPEN_FULLMUTEX);
    impl->reader->setBusyTimeout(opts.busy_timeout_ms);
  } catch (const std::exception& e) {
    return Error{ErrorCode::unavailable, std::string("store: cannot open ") + opts.path + ": " + e.what()};
  }
  return std::shared_ptr<SqliteDb>(new SqliteDb(std::move(impl)));
}

}  // namespace selfheal
