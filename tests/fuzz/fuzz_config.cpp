// libFuzzer target: the config loader (YAML through yaml-cpp, every section's key table, cross-field
// rules). Invariants: no exception escapes, and an error is ErrorCode::config that starts with the
// file's name (followed by line and column).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "app/config.hpp"
#include "schema/log.hpp"

using namespace selfheal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = [] {
    spdlog::set_level(spdlog::level::off);
    return "/tmp/fuzz_config." + std::to_string(getpid()) + ".yaml";
  }();
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto c = app::load_config(path, {});
  if (!c) {
    if (c.error().code != ErrorCode::config) std::abort();
    if (c.error().message.rfind(path + ":", 0) != 0) std::abort();  // located: file:line:col
    return 0;
  }
  return 0;
}
