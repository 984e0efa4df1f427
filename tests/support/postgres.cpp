#include "tests/support/postgres.hpp"

#include <libpq-fe.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace selfheal::test {

namespace {
std::string find_bin_dir() {
  std::error_code ec;
  std::string best;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto bin = e.path() / "bin";
    if (std::filesystem::exists(bin / "initdb") && std::filesystem::exists(bin / "pg_ctl") && bin.string() > best)
      best = bin.string();
  }
  return best;
}

std::string pq_query(const std::string& dsn, const std::string& sql) {
  PGconn* c = PQconnectdb(dsn.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error("postgres test server: cannot connect: " + msg);
  }
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);  // "does not exist, skipping"
  PGresult* r = PQexec(c, sql.c_str());
  const auto st = PQresultStatus(r);
  std::string out;
  if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
  std::string err = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ? "" : PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  if (!err.empty()) throw std::runtime_error("postgres test server: " + sql + ": " + err);
  return out;
}
}  // namespace

bool postgres_installed() { return !find_bin_dir().empty(); }

std::string PostgresServer::pg_bin(const std::string& tool) const { return bin_dir_ + "/" + tool; }

RunResult PostgresServer::as_server_user(const std::vector<std::string>& argv) const {
  if (geteuid() != 0) return run(argv, {}, {}, std::chrono::seconds(120));
  std::vector<std::string> wrapped = {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return run(wrapped, {}, {}, std::chrono::seconds(120));
}

PostgresServer::PostgresServer() {
  bin_dir_ = find_bin_dir();
  if (bin_dir_.empty()) throw std::runtime_error("PostgreSQL is not installed (scripts/install-deps.sh)");
  data_dir_ = dir_.file("data");
  socket_dir_ = dir_.path().string();
  std::filesystem::create_directories(data_dir_);
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("nobody");
    if (!pw) throw std::runtime_error("no user 'nobody' to run PostgreSQL as");
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::all);  // the socket dir: nobody writes it
    if (chown(data_dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("cannot chown the data dir");
  }
  auto init = as_server_user({pg_bin("initdb"), "-D", data_dir_, "-U", "selfheal", "--auth=trust", "--no-sync",
                              "--locale=C", "-E", "UTF8"});
  if (init.exit_code != 0) throw std::runtime_error("initdb failed: " + init.err + init.out);
  port_ = free_port();
  start();
}

void PostgresServer::start() {
  const std::string opts = "-p " + std::to_string(port_) + " -k " + socket_dir_ +
                           " -c listen_addresses= -c fsync=off -c full_page_writes=off -c max_connections=200";
  auto r = as_server_user({pg_bin("pg_ctl"), "-D", data_dir_, "-o", opts, "-l", dir_.file("server.log"), "-w", "-t",
                           "60", "start"});
  if (r.exit_code != 0)
    throw std::runtime_error("pg_ctl start failed: " + r.err + r.out + read_file(dir_.file("server.log")));
  running_ = true;
}

void PostgresServer::stop() {
  if (!running_) return;
  as_server_user({pg_bin("pg_ctl"), "-D", data_dir_, "-m", "fast", "-w", "-t", "60", "stop"});
  running_ = false;
}

PostgresServer::~PostgresServer() {
  try {
    stop();
  } catch (...) {
  }
}

std::string PostgresServer::dsn(const std::string& database) const {
  return "host=" + socket_dir_ + " port=" + std::to_string(port_) + " user=selfheal dbname=" + database;
}

std::string PostgresServer::fresh_database(const std::string& name) {
  pq_query(dsn(), "DROP DATABASE IF EXISTS " + name);
  pq_query(dsn(), "CREATE DATABASE " + name);
  return dsn(name);
}

std::string PostgresServer::query(const std::string& sql, const std::string& database) const {
  return pq_query(dsn(database), sql);
}

}  // namespace selfheal::test
