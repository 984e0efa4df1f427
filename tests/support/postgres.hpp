#pragma once
// A real PostgreSQL server from Debian's packages for tests: initdb into a temp dir, pg_ctl start on a
// random port with its unix socket in that dir (no TCP), stopped and removed on destruction. Run as
// the unprivileged user `nobody` when the tests run as root (PostgreSQL refuses to run as root).
#include <string>

#include "tests/support/support.hpp"

namespace selfheal::test {

class PostgresServer {
 public:
  /// Throws std::runtime_error when PostgreSQL is not installed or does not start.
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  /// A libpq connection string for `database` on this server.
  std::string dsn(const std::string& database = "postgres") const;
  /// Creates an empty database and returns its connection string.
  std::string fresh_database(const std::string& name);
  /// Runs SQL (one statement) on `database` and returns the first column of the first row ("" if none).
  std::string query(const std::string& sql, const std::string& database = "postgres") const;
  void stop();
  void start();
  int port() const { return port_; }

 private:
  std::string pg_bin(const std::string& tool) const;
  RunResult as_server_user(const std::vector<std::string>& argv) const;
  TempDir dir_;
  std::string bin_dir_;
  std::string data_dir_;
  std::string socket_dir_;
  int port_ = 0;
  bool running_ = false;
};

/// True when Debian's PostgreSQL server binaries are installed (/usr/lib/postgresql/<v>/bin/initdb).
bool postgres_installed();

}  // namespace selfheal::test
