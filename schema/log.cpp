#include "schema/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "schema/text.hpp"

namespace selfheal::log {

namespace {

// `%*`: the message with every control character made visible (schema/text.hpp), so log text
// quoted in a line (a label, a template, an error from a peer) can neither move the cursor, clear
// the terminal nor start a forged line. In the JSON format the result is also a valid JSON string.
class SafeMessage final : public spdlog::custom_flag_formatter {
 public:
  explicit SafeMessage(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string safe = escape_control(std::string_view(msg.payload.data(), msg.payload.size()));
    if (!json_) {
      dest.append(safe.data(), safe.data() + safe.size());
      return;
    }
    for (char c : safe) {  // no control character is left: only quotes and backslashes to escape
      if (c == '"' || c == '\\') dest.push_back('\\');
      dest.push_back(c);
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SafeMessage>(json_); }

 private:
  bool json_;
};

std::unique_ptr<spdlog::formatter> safe_formatter(bool json) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<SafeMessage>('*', json);
  formatter->set_pattern(json ? R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})"
                              : "%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %*");
  return formatter;
}

}  // namespace

void escape_default_logger() {
  spdlog::default_logger()->set_formatter(safe_formatter(false));
}

void setup(std::string_view level, std::string_view format) {
  auto logger = spdlog::stderr_color_mt("selfheal");
  logger->set_formatter(safe_formatter(format == "json"));
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
