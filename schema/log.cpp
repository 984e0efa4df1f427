#include "schema/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace selfheal::log {

void setup(std::string_view level, std::string_view format) {
  auto logger = spdlog::stderr_color_mt("selfheal");
  if (format == "json") {
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})", spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(std::string(level)));
  spdlog::set_default_logger(logger);
}

bool RateLimit::allow(std::uint64_t& suppressed) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count();
  auto start = window_start_.load();
  if (now - start >= 60'000 && window_start_.compare_exchange_strong(start, now)) {
    in_window_.store(0);
  }
  if (in_window_.fetch_add(1) < per_minute_) {
    suppressed = suppressed_.exchange(0);
    return true;
  }
  suppressed_.fetch_add(1);
  return false;
}

}  // namespace selfheal::log
