#include "schema/sqlite_db.hpp"

#include <sqlite3.h>

#include <filesystem>

#include "schema/detail/sqlite_access.hpp"
#include "schema/log.hpp"
#include "schema/migrations.hpp"

namespace selfheal {

SqliteDb::SqliteDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteDb::~SqliteDb() = default;

SqliteDb::Impl::~Impl() {
  if (writer) sqlite3_wal_hook(writer->getHandle(), nullptr, nullptr);
  {
    std::lock_guard lock(cp_mu);
    cp_stop = true;
  }
  cp_cv.notify_all();
  if (checkpointer.joinable()) checkpointer.join();
}

namespace {
// Called by SQLite on the writer's thread after every commit with the number of frames in the WAL.
// Past checkpoint_pages it wakes the background checkpointer; past 16 times that (the checkpointer
// is falling behind) the writer checkpoints by itself, as SQLite's own auto-checkpoint would.
int on_wal_commit(void* arg, sqlite3* db, const char* name, int frames) {
  auto* impl = static_cast<SqliteDb::Impl*>(arg);
  if (frames >= impl->cp_pages * 16) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (frames >= impl->cp_pages) {
    {
      std::lock_guard lock(impl->cp_mu);
      impl->cp_wanted = true;
    }
    impl->cp_cv.notify_one();
  }
  return SQLITE_OK;
}

// Runs PASSIVE checkpoints (they never block the writer or readers) when the writer's WAL hook asks:
// commits then only append to the WAL, and the copy into the database file happens on this thread.
void checkpoint_loop(SqliteDb::Impl& impl, std::string path, int busy_timeout_ms) {
  try {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_FULLMUTEX);
    db.setBusyTimeout(busy_timeout_ms);
    std::unique_lock lock(impl.cp_mu);
    while (true) {
      impl.cp_cv.wait(lock, [&] { return impl.cp_stop || impl.cp_wanted; });
      if (impl.cp_stop) break;
      impl.cp_wanted = false;
      lock.unlock();
      try {
        // The writer resets the WAL on its next transaction once every frame is in the database
        // and no reader needs them; journal_size_limit then truncates a grown WAL file.
        db.exec("PRAGMA wal_checkpoint(PASSIVE)");
      } catch (const std::exception& e) {
        static log::RateLimit limit(6);
        std::uint64_t suppressed = 0;
        if (limit.allow(suppressed))
          spdlog::warn("Background WAL checkpoint failed; the writer checkpoints by itself past its limit. error=\"{}\" "
                       "suppressed={}",
                       e.what(), suppressed);
      }
      lock.lock();
    }
  } catch (const std::exception& e) {
    spdlog::warn("Background WAL checkpointer stopped; commits checkpoint by themselves. error=\"{}\"", e.what());
  }
}
}  // namespace

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
    // 16 MiB of page cache for the writer: enough for the hot index pages of the insert path; a
    // larger cache showed as resident memory at 100,000 fingerprints (serve stays under 200 MB).
    w.exec("PRAGMA cache_size=-16384");
    if (opts.checkpoint_pages > 0) {
      impl->cp_pages = opts.checkpoint_pages;
      w.exec("PRAGMA journal_size_limit=" + std::to_string(64 * 1024 * 1024));  // truncate a grown WAL on reset
    }

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
    if (opts.checkpoint_pages > 0) {
      // Replaces SQLite's auto-checkpoint hook (which would checkpoint inside the committing call).
      sqlite3_wal_hook(w.getHandle(), on_wal_commit, impl.get());
      impl->checkpointer = std::thread(checkpoint_loop, std::ref(*impl), opts.path, opts.busy_timeout_ms);
    }
  } catch (const std::exception& e) {
    return Error{ErrorCode::unavailable, std::string("store: cannot open ") + opts.path + ": " + e.what()};
  }
  return std::shared_ptr<SqliteDb>(new SqliteDb(std::move(impl)));
}

}  // namespace selfheal
