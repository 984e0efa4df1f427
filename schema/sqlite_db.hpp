#pragma once
// The one SQLite database file of an instance, shared by every Sqlite* store class
// (SqliteStore for events/queries, the healer's and the LLM's stores). Opens it in WAL mode,
// applies the embedded migrations in order and refuses a database written by a newer version.
// Public header: no SQLiteCpp types here (see detail/sqlite_access.hpp for implementations).
#include <memory>
#include <string>

#include "schema/result.hpp"

namespace selfheal {

struct SqliteOptions {
  std::string path;                 // file path; ":memory:" is not supported (two connections)
  int busy_timeout_ms = 5000;
  bool synchronous_full = false;    // WAL + NORMAL is durable against process crashes (kill -9)
  // Checkpoint the WAL from a background thread once it holds this many pages (0: SQLite's own
  // auto-checkpoint inside the committing transaction). The writer still checkpoints by itself past
  // checkpoint_pages * 16 pages, so the WAL stays bounded if the background thread falls behind.
  int checkpoint_pages = 1000;
};

class SqliteDb {
 public:
  /// Opens (creating if needed) and migrates. Errors: config (newer schema), unavailable (I/O).
  static Result<std::shared_ptr<SqliteDb>> open(const SqliteOptions& opts);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  /// Schema version stored in the file (PRAGMA user_version) and the newest this build knows.
  int schema_version() const;
  static int latest_schema_version();
  const std::string& path() const;
  /// PRAGMA integrity_check == "ok".
  Result<bool> integrity_ok();

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  explicit SqliteDb(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace selfheal
