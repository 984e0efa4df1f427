#include "schema/pg_db.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "schema/detail/pg_access.hpp"
#include "schema/log.hpp"
#include "schema/migrations.hpp"

namespace selfheal {

namespace detail {

void PgArray::text(std::string_view v) {
  sep();
  body_ += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') body_ += '\\';
    body_ += c;
  }
  body_ += '"';
}

void PgArray::i64(std::int64_t v) {
  sep();
  body_ += std::to_string(v);
}

void PgArray::bytes(std::string_view v) {
  static const char* hex = "0123456789abcdef";
  sep();
  body_ += "\"\\\\x";  // opening quote, an escaped backslash (the array literal), x: bytea hex form
  for (unsigned char c : v) {
    body_ += hex[c >> 4];
    body_ += hex[c & 15];
  }
  body_ += '"';
}

void PgParams::add(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  push(buf, 0);
}

void PgParams::push(std::string v, int format) {
  values_.push_back(std::move(v));
  formats_.push_back(format);
  lengths_.push_back(static_cast<int>(values_.back().size()));
  // Pointers are taken again after every push: the strings may have moved.
  ptrs_.clear();
  for (const auto& s : values_) ptrs_.push_back(s.c_str());
}

std::int64_t PgRes::i64(int row, int col) const {
  if (null(row, col)) return 0;
  return std::strtoll(PQgetvalue(r_.get(), row, col), nullptr, 10);
}

double PgRes::f64(int row, int col) const {
  if (null(row, col)) return 0;
  return std::strtod(PQgetvalue(r_.get(), row, col), nullptr);
}

std::string PgRes::bytes(int row, int col) const {
  if (null(row, col)) return {};
  std::size_t n = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_.get(), row, col)), &n);
  if (!raw) throw PgError("cannot decode a bytea value", "", false);
  std::string out(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return out;
}

std::int64_t PgRes::affected() const {
  const char* n = PQcmdTuples(r_.get());
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

PgRes PgConn::exec(const std::string& sql, const PgParams& p) {
  // Without parameters PQexec runs a whole script (several statements: migrations).
  PGresult* r = p.size() == 0 ? PQexec(c_, sql.c_str())
                              : PQexecParams(c_, sql.c_str(), p.size(), nullptr, p.values(), p.lengths(), p.formats(), 0);
  const auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return PgRes(r);
  std::string state;
  std::string msg = PQerrorMessage(c_);
  if (r) {
    if (const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE)) state = s;
    if (const char* m = PQresultErrorMessage(r); m && *m) msg = m;
    PQclear(r);
  }
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  // Class 08 (connection exception) and 57P (operator intervention: shutdown, crash) leave the
  // connection unusable; so does a dead socket without a SQLSTATE.
  const bool lost = PQstatus(c_) != CONNECTION_OK || state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0;
  throw PgError(msg, state, lost);
}

namespace {
PGconn* connect(const PgOptions& o) {
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const std::string timeout = std::to_string(o.connect_timeout_s);
  const char* vals[] = {o.dsn.c_str(), timeout.c_str(), "selfheal", nullptr};
  // expand_dbname=1: the first dbname value is the whole connection string.
  PGconn* c = PQconnectdbParams(keys, vals, 1);
  if (!c) throw PgError("out of memory connecting to PostgreSQL", "", true);
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    throw PgError("cannot connect to PostgreSQL: " + msg, "08006", true);
  }
  // Quiet NOTICEs ("relation exists, skipping") stay out of the log.
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  return c;
}
}  // namespace

PgLease::PgLease(PgDb& db) : impl_(db.impl()), conn_(nullptr) {
  PGconn* c = nullptr;
  {
    std::unique_lock lock(impl_.mu);
    impl_.cv.wait(lock, [&] { return !impl_.idle.empty() || impl_.open < impl_.opts.pool; });
    if (!impl_.idle.empty()) {
      c = impl_.idle.back();
      impl_.idle.pop_back();
    } else {
      ++impl_.open;  // reserved; connected below without the lock
    }
  }
  try {
    if (c && PQstatus(c) != CONNECTION_OK) {
      PQfinish(c);
      c = nullptr;
    }
    if (!c) c = connect(impl_.opts);
  } catch (...) {
    std::lock_guard lock(impl_.mu);
    --impl_.open;
    impl_.cv.notify_one();
    throw;
  }
  conn_ = PgConn(c);
}

PgLease::~PgLease() {
  std::lock_guard lock(impl_.mu);
  if (broken_) {
    PQfinish(conn_.raw());
    --impl_.open;
  } else {
    impl_.idle.push_back(conn_.raw());
  }
  impl_.cv.notify_one();
}

Result<bool> token_committed(PgDb& db, const std::string& token) {
  Error last{ErrorCode::unavailable, "store: cannot tell whether a commit landed"};
  for (int i = 0; i < 240; ++i) {
    auto r = with_conn(db, [&](PgConn& c) -> Result<bool> {
      return c.q("SELECT 1 FROM commit_tokens WHERE token = $1", token).rows() > 0;
    });
    if (r) return r;
    last = r.error();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return last;
}

Error pg_error(const std::exception& e) {
  ErrorCode code = ErrorCode::unavailable;
  if (auto* pe = dynamic_cast<const PgError*>(&e)) {
    if (pe->sqlstate == "23505") code = ErrorCode::conflict;
    else if (!pe->connection_lost && pe->sqlstate.rfind("42", 0) == 0) code = ErrorCode::internal;  // our SQL
  }
  return Error{code, std::string("store: ") + e.what()};
}

}  // namespace detail

PgDb::Impl::~Impl() {
  for (PGconn* c : idle) PQfinish(c);
}

PgDb::PgDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PgDb::~PgDb() = default;

int PgDb::schema_version() const { return impl_->version; }
const std::string& PgDb::location() const { return impl_->location; }

int PgDb::latest_schema_version() {
  const auto& m = detail::embedded_pg_migrations();
  return m.empty() ? 0 : m.back().version;
}

Result<std::shared_ptr<PgDb>> PgDb::open(const PgOptions& opts) {
  if (opts.dsn.empty()) return make_error(ErrorCode::config, "store: empty PostgreSQL connection string");
  auto impl = std::make_unique<Impl>();
  impl->opts = opts;
  if (impl->opts.pool < 1) impl->opts.pool = 1;
  auto db = std::shared_ptr<PgDb>(new PgDb(std::move(impl)));
  // One instance migrates at a time (the others wait on the lock, then find nothing to do).
  constexpr std::int64_t migrate_lock = 0x73656c6668656131;  // "selfhea1"
  auto r = detail::with_conn(*db, [&](detail::PgConn& c) -> Result<int> {
    db->impl_->location = std::string(PQhost(c.raw())) + ":" + PQport(c.raw()) + "/" + PQdb(c.raw());
    c.q("SELECT pg_advisory_lock($1)", migrate_lock);
    struct Unlock {
      detail::PgConn& c;
      ~Unlock() { PQclear(PQexecParams(c.raw(), "SELECT pg_advisory_unlock_all()", 0, nullptr, nullptr, nullptr, nullptr, 0)); }
    } unlock{c};
    c.exec("CREATE TABLE IF NOT EXISTS selfheal_schema (version BIGINT NOT NULL)");
    auto v = c.exec("SELECT coalesce(max(version), 0) FROM selfheal_schema");
    int version = static_cast<int>(v.i64(0, 0));
    const int latest = latest_schema_version();
    if (version > latest)
      return make_error(ErrorCode::config, "store: PostgreSQL database " + db->impl_->location +
                                               " has schema version " + std::to_string(version) +
                                               " but this selfheal knows only up to " + std::to_string(latest) +
                                               "; it was written by a newer selfheal. Upgrade selfheal.");
    for (const auto& m : detail::embedded_pg_migrations()) {
      if (m.version <= version) continue;
      c.exec("BEGIN");
      try {
        c.exec(m.sql);
        c.q("INSERT INTO selfheal_schema(version) VALUES($1)", m.version);
        c.exec("COMMIT");
      } catch (...) {
        PQclear(PQexec(c.raw(), "ROLLBACK"));
        throw;
      }
      version = m.version;
      spdlog::info("Applied a PostgreSQL migration. version={} name={}", m.version, m.name);
    }
    return version;
  });
  if (!r) return r.error();
  db->impl_->version = *r;
  return db;
}

}  // namespace selfheal
