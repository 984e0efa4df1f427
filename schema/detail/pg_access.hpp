#pragma once
// For schema/pg_*.cpp store implementations only: libpq connections borrowed from the PgDb pool,
// statements with typed parameters, results read by row and column, and transactions retried on
// serialization failures and deadlocks. libpq errors become PgError inside, Result at the boundary.
#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "schema/pg_db.hpp"
#include "schema/result.hpp"

namespace selfheal {

struct PgDb::Impl {
  PgOptions opts;
  std::string location;
  int version = 0;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<PGconn*> idle;  // guarded by mu
  int open = 0;               // guarded by mu: connections made (idle + lent)
  ~Impl();
};

namespace detail {

struct PgError : std::runtime_error {
  PgError(const std::string& what, std::string state, bool lost)
      : std::runtime_error(what), sqlstate(std::move(state)), connection_lost(lost) {}
  std::string sqlstate;  // "" when the server sent none
  bool connection_lost = false;
};

/// bytea parameter (sent in binary).
struct PgBytes {
  std::string_view data;
};

/// A PostgreSQL array literal ({"a","b"}), sent as one text parameter and cast in SQL ($1::text[]):
/// a statement writes many rows from a few arrays (unnest) instead of one statement per row.
class PgArray {
 public:
  void text(std::string_view v);
  void i64(std::int64_t v);
  /// bytea element (hex form).
  void bytes(std::string_view v);
  bool empty() const { return n_ == 0; }
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void sep() {
    if (n_++ > 0) body_ += ',';
  }
  std::string body_;
  std::size_t n_ = 0;
};

class PgParams {
 public:
  PgParams() = default;
  template <typename... A>
  explicit PgParams(const A&... a) {
    (add(a), ...);
  }
  void add(std::string_view v) { push(std::string(v), 0); }
  void add(const std::string& v) { push(v, 0); }
  void add(const char* v) { push(v, 0); }
  void add(std::int64_t v) { push(std::to_string(v), 0); }
  void add(int v) { push(std::to_string(v), 0); }
  void add(std::size_t v) { push(std::to_string(v), 0); }
  void add(bool v) { push(v ? "true" : "false", 0); }
  void add(double v);
  void add(PgBytes v) { push(std::string(v.data), 1); }
  void add(const PgArray& v) { push(v.str(), 0); }
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return ptrs_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void push(std::string v, int format);
  std::vector<std::string> values_;
  std::vector<const char*> ptrs_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

class PgRes {
 public:
  explicit PgRes(PGresult* r) : r_(r, &PQclear) {}
  int rows() const { return PQntuples(r_.get()); }
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string str(int row, int col) const { return std::string(PQgetvalue(r_.get(), row, col), len(row, col)); }
  std::int64_t i64(int row, int col) const;
  double f64(int row, int col) const;
  bool boolean(int row, int col) const { return PQgetvalue(r_.get(), row, col)[0] == 't'; }
  /// A bytea column (text result, hex format) as raw bytes.
  std::string bytes(int row, int col) const;
  /// Rows changed by INSERT/UPDATE/DELETE.
  std::int64_t affected() const;
  /// Column name (views).
  std::string name(int col) const { return PQfname(r_.get(), col); }
  int columns() const { return PQnfields(r_.get()); }
  Oid type(int col) const { return PQftype(r_.get(), col); }

 private:
  std::size_t len(int row, int col) const { return static_cast<std::size_t>(PQgetlength(r_.get(), row, col)); }
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

/// One borrowed connection. Throws PgError.
class PgConn {
 public:
  explicit PgConn(PGconn* c) : c_(c) {}
  PgRes exec(const std::string& sql, const PgParams& p = PgParams());
  template <typename... A>
  PgRes q(const std::string& sql, const A&... a) {
    return exec(sql, PgParams(a...));
  }
  PGconn* raw() { return c_; }

 private:
  PGconn* c_;
};

/// Lends a connection for the scope (waits when all are lent); reconnects a broken one first.
class PgLease {
 public:
  explicit PgLease(PgDb& db);
  ~PgLease();
  PgLease(const PgLease&) = delete;
  PgLease& operator=(const PgLease&) = delete;
  PgConn& conn() { return conn_; }
  /// The connection failed mid-use: closed instead of going back to the pool.
  void discard() { broken_ = true; }

 private:
  PgDb::Impl& impl_;
  PgConn conn_;
  bool broken_ = false;
};

Error pg_error(const std::exception& e);

/// Runs fn(PgConn&) on a borrowed connection, outside a transaction (single statements).
template <typename F>
auto with_conn(PgDb& db, F&& fn) {
  using R = std::invoke_result_t<F, PgConn&>;
  try {
    PgLease lease(db);
    try {
      return R(fn(lease.conn()));
    } catch (const PgError& e) {
      if (e.connection_lost) lease.discard();
      throw;
    }
  } catch (const std::exception& e) {
    return R(pg_error(e));
  }
}

/// Whether the transaction that wrote `token` into commit_tokens committed. Asks until the server
/// answers (up to ~2 minutes): guessing wrong would lose or double-count a batch.
Result<bool> token_committed(PgDb& db, const std::string& token);

/// Runs fn(PgConn&) in one transaction (READ COMMITTED), committed when fn returns a value and rolled
/// back when it returns an error or throws. Serialization failures and deadlocks are retried (5 times).
/// With a `commit_token` (unique per call) the transaction also writes it, so that a COMMIT whose answer
/// was lost with the connection is known to have landed or not (then it reports success or failure).
template <typename F>
auto with_tx(PgDb& db, F&& fn, const std::string& commit_token = {}) {
  using R = std::invoke_result_t<F, PgConn&>;
  for (int attempt = 0;; ++attempt) {
    try {
      PgLease lease(db);
      auto& c = lease.conn();
      try {
        c.exec("BEGIN");
        R r(fn(c));
        if (!r) {
          c.exec("ROLLBACK");
          return r;
        }
        if (!commit_token.empty())
          c.q("INSERT INTO commit_tokens(token, at) VALUES($1, (extract(epoch FROM now()) * 1000)::BIGINT)",
              commit_token);
        try {
          c.exec("COMMIT");
        } catch (const PgError& e) {
          if (!e.connection_lost || commit_token.empty()) throw;
          lease.discard();
          auto landed = token_committed(db, commit_token);
          if (!landed) return R(landed.error());
          if (*landed) return r;
          throw;
        }
        return r;
      } catch (const PgError& e) {
        if (e.connection_lost) {
          lease.discard();
        } else {
          PQclear(PQexec(c.raw(), "ROLLBACK"));
        }
        const bool retry = (e.sqlstate == "40001" || e.sqlstate == "40P01") && attempt < 5;
        if (!retry) throw;
      }
    } catch (const std::exception& e) {
      return R(pg_error(e));
    }
  }
}

}  // namespace detail
}  // namespace selfheal
