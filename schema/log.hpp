#pragma once
// Logging through spdlog: one line per event, capitalised sentence, key=value fields.
// Every message is printed through escape_control (schema/text.hpp): log text in it is safe.
// ERROR means data loss or an operator is needed; WARN means recovered with nothing lost.
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <string_view>

namespace selfheal::log {

/// Configures the default logger: level ("debug".."error"), format "text" or "json".
void setup(std::string_view level, std::string_view format = "text");
/// Gives spdlog's existing default logger the same escaping format (CLI commands other than serve).
void escape_default_logger();

/// Allows at most `per_minute` messages per minute for one call site; counts the suppressed ones.
class RateLimit {
 public:
  explicit RateLimit(int per_minute = 10) : per_minute_(per_minute) {}
  /// true if the caller may log now; `suppressed` receives how many were dropped since the last pass.
  bool allow(std::uint64_t& suppressed);

 private:
  int per_minute_;
  std::atomic<std::int64_t> window_start_{0};
  std::atomic<int> in_window_{0};
  std::atomic<std::uint64_t> suppressed_{0};
};

}  // namespace selfheal::log
