#include "bench/paths.hpp"

#include <cstdlib>

namespace selfheal::bench {
const char* shared_dir() {
  const char* v = std::getenv("SELFHEAL_SHARED_DIR");
  return (v != nullptr && *v != '\0') ? v : SELFHEAL_SHARED_DIR_AT_BUILD;
}
}  // namespace selfheal::bench
