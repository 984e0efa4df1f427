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
}  // namespace selfheal::detail
