#pragma once
// For schema/*.cpp store implementations only: run a function on the writer or reader connection,
// serialised by a mutex, with SQLiteCpp exceptions turned into Result errors.
#include <SQLiteCpp/SQLiteCpp.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>

#include "schema/result.hpp"
#include "schema/sqlite_db.hpp"

namespace selfheal {

struct SqliteDb::Impl {
  std::string path;
  std::unique_ptr<SQLite::Database> writer;  // Invariant: used only under write_mu
  std::unique_ptr<SQLite::Database> reader;  // Invariant: used only under read_mu
  std::mutex write_mu;
  std::mutex read_mu;
  int version = 0;
  // Background checkpointer (own connection): copies WAL frames into the database file off the
  // commit path, so a commit only appends to the WAL.
  std::thread checkpointer;
  std::mutex cp_mu;
  std::condition_variable cp_cv;
  bool cp_stop = false;    // guarded by cp_mu
  bool cp_wanted = false;  // guarded by cp_mu: the WAL passed checkpoint_pages (set by the writer's WAL hook)
  int cp_pages = 0;
  ~Impl();
};

namespace detail {

inline Error sqlite_error(const std::exception& e) {
  std::string msg = e.what();
  ErrorCode code = ErrorCode::unavailable;
  if (auto* se = dynamic_cast<const SQLite::Exception*>(&e)) {
    int c = se->getErrorCode() & 0xff;
    if (c == 19 /* SQLITE_CONSTRAINT */) code = ErrorCode::conflict;
  }
  return Error{code, "store: " + msg};
}

/// Runs fn(SQLite::Database&) on the writer connection. fn returns Result<T> or T.
template <typename F>
auto with_writer(SqliteDb& db, F&& fn) {
  using R = std::invoke_result_t<F, SQLite::Database&>;
  auto& impl = db.impl();
  std::lock_guard lock(impl.write_mu);
  try {
    return R(fn(*impl.writer));
  } catch (const std::exception& e) {
    return R(sqlite_error(e));
  }
}

template <typename F>
auto with_reader(SqliteDb& db, F&& fn) {
  using R = std::invoke_result_t<F, SQLite::Database&>;
  auto& impl = db.impl();
  std::lock_guard lock(impl.read_mu);
  try {
    return R(fn(*impl.reader));
  } catch (const std::exception& e) {
    return R(sqlite_error(e));
  }
}

}  // namespace detail
}  // namespace selfheal
