#include "fingerprint/structured.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstring>

namespace selfheal::fingerprint {
namespace {

using sv = std::string_view;
using Json = nlohmann::json;

// Field names as the common loggers write them (facts, not rules fitted to a log):
// pino/Bunyan/zap/logrus "msg", winston/ECS/logback "message", Serilog CLEF "@mt"/"@m"/"@l"/"@x",
// python-json-logger "levelname"/"exc_info", logstash-logback-encoder "stack_trace", ECS "log.level"
// and "error.{type,message,stack_trace}", zap/logrus "error", pino/Bunyan "err".
constexpr std::array<sv, 5> message_keys = {"msg", "message", "@mt", "@m", "MESSAGE"};
constexpr std::array<sv, 8> level_keys = {"level", "lvl", "severity", "levelname", "log.level",
                                          "loglevel", "log_level", "@l"};
constexpr std::array<sv, 6> error_keys = {"err", "error", "exception", "exc", "@x", "exc_info"};
constexpr std::array<sv, 4> stack_keys = {"stack", "stack_trace", "backtrace", "errorVerbose"};
constexpr std::array<sv, 4> error_message_keys = {"message", "msg", "reason", "error"};
constexpr std::array<sv, 4> error_type_keys = {"type", "name", "kind", "class"};
constexpr std::array<sv, 8> time_keys = {"time", "ts", "timestamp", "@timestamp", "@t", "asctime", "date", "datetime"};
// zap's "stacktrace" is where the log call was made (added to every error-level line), not where
// an error arose: the message groups such lines, so it is read as a stack only inside an error.
constexpr sv call_site_stack_key = "stacktrace";

template <std::size_t N>
bool one_of(const std::array<sv, N>& keys, sv k) {
  for (sv x : keys)
    if (x == k) return true;
  return false;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_key_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '@'; }
bool is_key_char(char c) {
  return is_key_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '/';
}

std::string lower(sv s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// pino / Bunyan numeric levels (10 trace .. 60 fatal); any other number is kept as written.
std::string level_word(const Json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) {
    const auto n = v.is_number_unsigned() ? static_cast<std::int64_t>(v.get<std::uint64_t>() & 0x7fffffff)
                                          : v.get<std::int64_t>();
    switch (n) {
      case 10: return "trace";
      case 20: return "debug";
      case 30: return "info";
      case 40: return "warn";
      case 50: return "error";
      case 60: return "fatal";
      default: return std::to_string(n);
    }
  }
  if (v.is_string()) return lower(v.get_ref<const std::string&>());
  return {};
}

std::string text_of(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_float()) return v.dump();
  return {};
}

const Json* member(const Json& obj, sv key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

// A stack held as a string, or as an array of frame strings (some encoders).
std::string stack_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_array()) return {};
  std::string out;
  for (const auto& e : v) {
    if (!e.is_string()) continue;
    if (!out.empty()) out.push_back('\n');
    out += e.get_ref<const std::string&>();
  }
  return out;
}

void cut(std::string& s, std::size_t n) {
  if (s.size() > n) s.resize(n);
}

// An error value: an object (pino/Bunyan err, ECS error) or a string (zap/logrus error, exc_info).
void take_error(const Json& v, StructuredLine& out) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.find('\n') != std::string::npos) {
      if (out.error_stack.empty()) out.error_stack = s;
    } else if (out.error_message.empty()) {
      out.error_message = s;
    }
    return;
  }
  if (!v.is_object()) return;
  for (sv k : stack_keys)
    if (const Json* s = member(v, k); s != nullptr && out.error_stack.empty()) out.error_stack = stack_text(*s);
  if (const Json* s = member(v, call_site_stack_key); s != nullptr && out.error_stack.empty())
    out.error_stack = stack_text(*s);
  for (sv k : error_message_keys)
    if (const Json* m = member(v, k); m != nullptr && m->is_string() && out.error_message.empty())
      out.error_message = m->get<std::string>();
  for (sv k : error_type_keys)
    if (const Json* t = member(v, k); t != nullptr && t->is_string() && out.error_type.empty())
      out.error_type = t->get<std::string>();
}

void add_field(StructuredLine& out, std::string key, std::string value, const StructuredOptions& o) {
  if (out.fields.size() >= o.max_fields || key.empty() || key.size() > o.max_key_bytes) return;
  cut(value, o.max_value_bytes);
  out.fields.emplace_back(std::move(key), std::move(value));
}

void flatten(const Json& obj, const std::string& prefix, int depth, StructuredLine& out, const StructuredOptions& o) {
  for (auto it = obj.begin(); it != obj.end() && out.fields.size() < o.max_fields; ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      if (depth < 3) flatten(*it, key, depth + 1, out, o);
    } else if (!it->is_array() && !it->is_null()) {
      add_field(out, std::move(key), text_of(*it), o);
    }
  }
}

StructuredLine from_json(const Json& doc, const StructuredOptions& o) {
  StructuredLine out;
  for (sv k : message_keys)
    if (const Json* m = member(doc, k); m != nullptr && m->is_string()) {
      out.message = m->get<std::string>();
      break;
    }
  for (sv k : level_keys)
    if (const Json* l = member(doc, k); l != nullptr) {
      out.level = level_word(*l);
      if (!out.level.empty()) break;
    }
  for (sv k : time_keys)
    if (const Json* t = member(doc, k); t != nullptr && !t->is_object()) {
      out.time = text_of(*t);
      break;
    }
  // ECS writes dotted keys literally ("error.stack_trace") or nested ({"error":{...}}).
  if (const Json* s = member(doc, "error.stack_trace")) out.error_stack = stack_text(*s);
  if (const Json* m = member(doc, "error.message"); m != nullptr && m->is_string()) out.error_message = m->get<std::string>();
  if (const Json* t = member(doc, "error.type"); t != nullptr && t->is_string()) out.error_type = t->get<std::string>();
  for (sv k : error_keys)
    if (const Json* e = member(doc, k)) take_error(*e, out);
  for (sv k : stack_keys)
    if (const Json* s = member(doc, k); s != nullptr && out.error_stack.empty()) out.error_stack = stack_text(*s);

  for (auto it = doc.begin(); it != doc.end() && out.fields.size() < o.max_fields; ++it) {
    const std::string& k = it.key();
    if (one_of(message_keys, k) || one_of(level_keys, k) || one_of(time_keys, k) || one_of(error_keys, k) ||
        one_of(stack_keys, k) || k == call_site_stack_key || k.rfind("error.", 0) == 0)
      continue;
    if (it->is_object()) {
      flatten(*it, k, 1, out, o);
    } else if (!it->is_array() && !it->is_null()) {
      add_field(out, k, text_of(*it), o);
    }
  }
  return out;
}

// logfmt value: bare up to the next space, or "quoted" with \" \\ \n \t escapes.
bool logfmt_value(sv s, std::size_t& i, std::string& value) {
  value.clear();
  if (i < s.size() && s[i] == '"') {
    ++i;
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c == '\\' && i < s.size()) {
        char e = s[i++];
        switch (e) {
          case 'n': value.push_back('\n'); break;
          case 't': value.push_back('\t'); break;
          case 'r': value.push_back('\r'); break;
          default: value.push_back(e); break;
        }
      } else {
        value.push_back(c);
      }
    }
    if (i >= s.size()) return false;  // unterminated quote: not logfmt
    ++i;
    return i == s.size() || is_space(s[i]);
  }
  std::size_t start = i;
  while (i < s.size() && !is_space(s[i])) {
    if (s[i] == '"') return false;  // a quote inside a bare value: not logfmt
    ++i;
  }
  value.assign(s.substr(start, i - start));
  return true;
}

StructuredLine from_logfmt(sv s, const StructuredOptions& o) {
  StructuredLine out;
  StructuredLine fail;
  std::size_t i = 0;
  std::size_t pairs = 0;
  std::string value;
  while (true) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size()) break;
    if (!is_key_start(s[i])) return fail;
    std::size_t k = i;
    while (i < s.size() && is_key_char(s[i])) ++i;
    if (i >= s.size() || s[i] != '=') return fail;  // every token is key=value
    sv key = s.substr(k, i - k);
    ++i;
    if (!logfmt_value(s, i, value)) return fail;
    ++pairs;
    if (one_of(message_keys, key)) {
      if (out.message.empty()) out.message = value;
    } else if (one_of(level_keys, key)) {
      if (out.level.empty()) out.level = lower(value);
    } else if (one_of(time_keys, key)) {
      if (out.time.empty()) out.time = value;
    } else if (one_of(error_keys, key) || one_of(stack_keys, key)) {
      take_error(Json(value), out);
    } else {
      add_field(out, std::string(key), value, o);
    }
  }
  if (pairs < 2) return fail;
  return out;
}

}  // namespace

std::string StructuredLine::event_text() const {
  if (format == LineFormat::plain) return {};
  std::string t = message;
  if (!error_stack.empty()) {
    // The trace parser skips the lines before the trace (here: the message).
    if (!t.empty()) t.push_back('\n');
    t += error_stack;
    return t;
  }
  std::string e = error_type.empty()      ? error_message
                  : error_message.empty() ? error_type
                                          : error_type + ": " + error_message;
  if (e.empty() || e == t) return t;
  if (t.empty()) return e;
  t.push_back('\n');
  t += e;
  return t;
}

std::string StructuredLine::grouping_text() const {
  if (format == LineFormat::plain) return {};
  if (!error_stack.empty() || message.empty()) return event_text();
  if (error_type.empty()) return message;
  return message + "\n" + error_type;
}

bool is_error_field(std::string_view key) {
  return one_of(error_keys, key) || one_of(stack_keys, key) || key.rfind("error.", 0) == 0;
}

LineFormat sniff_format(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i >= line.size()) return LineFormat::plain;
  if (line[i] == '{') return LineFormat::json;
  if (!is_key_start(line[i])) return LineFormat::plain;
  // logfmt: the first token is `key=`. Most lines have no '=' near the start: one memchr.
  const void* eq = std::memchr(line.data() + i, '=', std::min<std::size_t>(line.size() - i, 65));
  if (eq == nullptr) return LineFormat::plain;
  const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(eq) - line.data());
  for (std::size_t k = i; k < end; ++k)
    if (!is_key_char(line[k])) return LineFormat::plain;
  return LineFormat::logfmt;
}

StructuredLine parse_structured(std::string_view line, const StructuredOptions& opts) {
  StructuredLine out;
  const LineFormat f = sniff_format(line);
  if (f == LineFormat::plain || line.size() > opts.max_input_bytes) return out;
  while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
  if (f == LineFormat::json) {
    if (line.back() != '}') return out;  // cheap reject before the parser
    Json doc = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) return out;
    out = from_json(doc, opts);
  } else {
    out = from_logfmt(line, opts);
  }
  if (out.message.empty() && out.error_stack.empty() && out.error_message.empty() && out.error_type.empty())
    return StructuredLine{};  // nothing a person would read first: keep the line as it is
  out.format = f;
  return out;
}

}  // namespace selfheal::fingerprint
