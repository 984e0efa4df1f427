#include "tests/support/paths.hpp"

#include <cstdlib>

namespace selfheal::test {
namespace {
const char* env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : fallback;
}
}  // namespace

const char* source_dir() { return env_or("SELFHEAL_SOURCE_DIR", SELFHEAL_SOURCE_DIR_AT_BUILD); }
const char* shared_dir() { return env_or("SELFHEAL_SHARED_DIR", SELFHEAL_SHARED_DIR_AT_BUILD); }
const char* built_binary() { return SELFHEAL_BINARY_AT_BUILD; }
}  // namespace selfheal::test
