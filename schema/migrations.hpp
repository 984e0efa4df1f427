#pragma once
#include <string>
#include <vector>

namespace selfheal::detail {
struct Migration {
  int version;
  std::string name;
  std::string sql;
};
/// Every migration in schema/migrations/, ascending by version (embedded at build time).
const std::vector<Migration>& embedded_migrations();
/// Every migration in schema/pg_migrations/ (the PostgreSQL backend), ascending by version.
const std::vector<Migration>& embedded_pg_migrations();
}  // namespace selfheal::detail
