#include "schema/sqlite_db.hpp"

#include <filesystem>

#include "schema/detail/sqlite_access.hpp"
#include "schema/log.hpp"
#include "schema/migrations.hpp"

namespace selfheal {

SqliteDb::SqliteDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteDb::~SqliteDb() = default;

SqliteDb::Impl::~Impl() {
  {
    std::lock_guard lock(cp_mu);
    cp_stop = true;
  }
  cp_cv.notify_all();
  if (checkpointer.joinable()) checkpointer.join();
}

namespace {
// Runs PASSIVE checkpoints (they never block the writer or readers) whenever the WAL file has grown
// past `pages` pages since the last one. Commits then only append to the WAL.
void checkpoint_loop(SqliteDb::Impl& impl, std::string path, int pages, int busy_timeout_ms) {
  try {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_FULLMUTEX);
    db.setBusyTimeout(busy_timeout_ms);
    const auto page_size = db.execAndGet("PRAGMA page_size").getInt64();
    const std::string wal = path + "-wal";
    std::unique_lock lock(impl.cp_mu);
    while (!impl.cp_stop) {
      impl.cp_cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return impl.cp_stop; });
      if (impl.cp_stop) break;
      std::error_code ec;
      const auto size = std::filesystem::file_size(wal, ec);
      if (ec || size < static_cast<std::uintmax_t>(pages * page_size)) continue;
      lock.unlock();
      try {
        // Returns (busy, frames in WAL, frames checkpointed); the writer resets the WAL on its next
        // transaction once every frame is in the database and no reader needs them.
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
    w.exec("PRAGMA cache_size=-65536");
    if (opts.checkpoint_pages > 0) {
      w.exec("PRAGMA wal_autocheckpoint=" + std::to_string(opts.checkpoint_pages * 16));
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
    if (opts.checkpoint_pages > 0)
      impl->checkpointer = std::thread(checkpoint_loop, std::ref(*impl), opts.path, opts.checkpoint_pages,
                                       opts.busy_timeout_ms);
  } catch (const std::exception& e) {
    return Error{ErrorCode::unavailable, std::string("store: cannot open ") + opts.path + ": " + e.what()};
  }
  return std::shared_ptr<SqliteDb>(new SqliteDb(std::move(impl)));
}

}  // namespace selfheal
