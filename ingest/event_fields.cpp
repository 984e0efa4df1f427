#include "ingest/event_fields.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "fingerprint/normalize.hpp"
#include "fingerprint/structured.hpp"
#include "fingerprint/trace_shape.hpp"

namespace selfheal::ingest {
namespace {
constexpr std::array<std::string_view, 8> service_keys = {"service_name", "service", "app", "application",
                                                          "job", "container", "component", "logger"};
constexpr std::array<std::string_view, 6> host_keys = {"host", "hostname", "instance", "node", "pod", "host_name"};
constexpr std::array<std::string_view, 6> level_keys = {"level", "severity", "detected_level", "lvl",
                                                        "loglevel", "log_level"};

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

/// Finds `word` as a whole token (bounded by non-word characters), case-sensitive.
bool has_token(std::string_view text, std::string_view word) {
  std::size_t pos = 0;
  while ((pos = text.find(word, pos)) != std::string_view::npos) {
    bool left = pos == 0 || !is_word_char(text[pos - 1]);
    std::size_t end = pos + word.size();
    bool right = end >= text.size() || !is_word_char(text[end]);
    if (left && right) return true;
    pos = end;
  }
  return false;
}

bool has_exception_name(std::string_view text) {
  // A dotted or plain identifier ending in Exception/Error followed by ':' or end of line,
  // e.g. "java.lang.IllegalStateException:", "ValueError:", "TypeError: x is undefined".
  for (std::string_view suffix : {std::string_view("Exception"), std::string_view("Error")}) {
    std::size_t pos = 0;
    while ((pos = text.find(suffix, pos)) != std::string_view::npos) {
      std::size_t end = pos + suffix.size();
      bool word_start = pos > 0 && std::isalnum(static_cast<unsigned char>(text[pos - 1]));
      bool followed = end >= text.size() || text[end] == ':' || text[end] == '\n' || text[end] == '\r';
      if (word_start && followed) return true;
      pos = end;
    }
  }
  return false;
}
}  // namespace

void apply_structured(LogEvent& e) {
  namespace fp = fingerprint;
  if (fp::sniff_format(e.message) == fp::LineFormat::plain) return;
  fp::StructuredLine s = fp::parse_structured(e.message);
  if (s.format == fp::LineFormat::plain) return;
  e.message = s.grouping_text();
  if (!e.level && !s.level.empty()) e.level = parse_severity(s.level);
  bool added = false;
  // The error's free text is not part of the message that groups (fingerprint/structured.hpp):
  // it stays with the event as the `error` label.
  if (s.error_stack.empty() && !s.message.empty() && !s.error_message.empty()) {
    bool present = false;
    for (const auto& l : e.labels) present = present || l.first == "error";
    if (!present) {
      e.labels.emplace_back("error", s.error_message.substr(0, 256));
      added = true;
    }
  }
  for (auto& [k, v] : s.fields) {
    std::string key = std::move(k);
    for (char& c : key)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    bool present = false;
    for (const auto& l : e.labels) present = present || l.first == key;
    if (present) continue;
    e.labels.emplace_back(std::move(key), std::move(v));
    added = true;
  }
  if (added) std::sort(e.labels.begin(), e.labels.end());
}

void extract_fields(LogEvent& e) {
  apply_structured(e);
  auto first_of = [&](auto keys) -> std::string_view {
    for (auto k : keys) {
      auto v = label(e.labels, k);
      if (!v.empty()) return v;
    }
    return {};
  };
  if (e.service.empty()) {
    auto s = first_of(service_keys);
    e.service = s.empty() ? "unknown" : std::string(s);
  }
  if (e.host.empty()) e.host = std::string(first_of(host_keys));
  if (!e.level) {
    auto l = first_of(level_keys);
    if (!l.empty()) e.level = parse_severity(l);
  }
}

Severity detect_severity(const LogEvent& e) {
  if (e.level) return *e.level;
  std::string_view t = e.message;
  if (auto level = fingerprint::header_level(t.substr(0, t.find('\n'))); !level.empty()) {
    if (auto sev = parse_severity(level)) {
      // The level the line was logged at counts; a stack trace below it still makes it an error.
      if (*sev < Severity::error && fingerprint::contains_stack_trace(t)) return Severity::error;
      return *sev;
    }
  }
  if (t.size() > 4096 && !fingerprint::contains_stack_trace(t)) t = t.substr(0, 4096);
  if (t.find("panic:") != std::string_view::npos || has_token(t, "FATAL") || has_token(t, "CRITICAL") ||
      has_token(t, "EMERG") || has_token(t, "ALERT") || has_token(t, "CRIT"))
    return Severity::critical;
  if (fingerprint::contains_stack_trace(t) || has_token(t, "ERROR") || has_token(t, "Error") || has_token(t, "ERR") ||
      has_token(t, "error") || has_token(t, "SEVERE") || has_exception_name(t) ||
      has_token(t, "FAILED") || has_token(t, "failed") || has_token(t, "Failed"))
    return Severity::error;
  if (has_token(t, "WARN") || has_token(t, "WARNING") || has_token(t, "Warning") || has_token(t, "warning") ||
      has_token(t, "warn"))
    return Severity::warning;
  if (has_token(t, "DEBUG") || has_token(t, "TRACE")) return Severity::debug;
  return Severity::info;
}

}  // namespace selfheal::ingest
