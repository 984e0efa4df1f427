#include "ingest/kafka_record.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "fingerprint/structured.hpp"
#include "ingest/event_fields.hpp"
#include "schema/time_format.hpp"

namespace selfheal::ingest::kafka {
namespace {

using Json = nlohmann::json;

constexpr std::size_t dead_letter_prefix_bytes = 4096;  // the store caps again; keep batches small
constexpr std::size_t max_label_value_bytes = 1024;

std::string_view trim_newline(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool looks_like_object(std::string_view s) {
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{';
  }
  return false;
}

/// Looks up "a.b.c": first the literal key (Filebeat writes "@timestamp", Vector may keep dots), then
/// the nested path.
const Json* find_field(const Json& obj, std::string_view name) {
  if (!obj.is_object() || name.empty()) return nullptr;
  auto it = obj.find(std::string(name));
  if (it != obj.end()) return &*it;
  const Json* cur = &obj;
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto dot = name.find('.', start);
    const auto part = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!cur->is_object()) return nullptr;
    auto jt = cur->find(std::string(part));
    if (jt == cur->end()) return nullptr;
    cur = &*jt;
    if (dot == std::string_view::npos) return cur;
    start = dot + 1;
  }
  return nullptr;
}

std::string scalar_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_float()) return v.dump();
  return v.dump();  // objects / arrays as compact JSON
}

std::optional<UnixMs> json_time(const Json& v) {
  if (v.is_number()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || d <= 0) return std::nullopt;
    return epoch_number_to_ms(d);
  }
  if (v.is_string()) return parse_time(v.get_ref<const std::string&>());
  return std::nullopt;
}

void add_label(Labels& labels, std::string key, std::string value, std::size_t max_labels) {
  if (labels.size() >= max_labels || key.empty()) return;
  for (const auto& [k, v] : labels) {
    if (k == key) return;  // first writer wins
  }
  if (value.size() > max_label_value_bytes) value.resize(max_label_value_bytes);
  labels.emplace_back(std::move(key), std::move(value));
}

void flatten_into(Labels& labels, const Json& obj, const std::string& prefix, std::size_t max_labels, int depth) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "_" + it.key();
    if (it->is_object()) {
      if (depth < 4) flatten_into(labels, *it, key, max_labels, depth + 1);
    } else if (!it->is_null() && !it->is_array()) {
      add_label(labels, std::move(key), scalar_text(*it), max_labels);
    }
  }
}

DeadLetter dead_letter(std::string_view value, const RecordMeta& meta, std::string reason, std::string content_type) {
  DeadLetter d;
  d.ts = meta.now;
  d.source = std::string(meta.source);
  d.reason = std::move(reason) + " (" + std::string(meta.topic) + ":" + std::to_string(meta.partition) + "@" +
             std::to_string(meta.offset) + ")";
  d.content_type = std::move(content_type);
  d.payload = std::string(value.substr(0, dead_letter_prefix_bytes));
  d.size = value.size();
  return d;
}

LogEvent base_event(const RecordMeta& meta) {
  LogEvent e;
  e.source = std::string(meta.source);
  e.ts = meta.kafka_ts > 0 ? meta.kafka_ts : meta.now;
  return e;
}

LogEvent text_event(std::string_view value, const RecordMeta& meta) {
  LogEvent e = base_event(meta);
  e.message = std::string(trim_newline(value));
  extract_fields(e);
  return e;
}

bool is_one_of(const std::vector<std::string>& names, const std::string& key) {
  return std::find(names.begin(), names.end(), key) != names.end();
}

LogEvent json_event(const Json& doc, std::string_view raw, const RecordMeta& meta, const KafkaFieldMapping& f) {
  LogEvent e = base_event(meta);
  const auto max_labels = static_cast<std::size_t>(std::max<std::int64_t>(0, f.max_labels));
  if (!doc.is_object()) {
    e.message = doc.is_string() ? doc.get<std::string>() : std::string(trim_newline(raw));
    extract_fields(e);
    return e;
  }
  bool have_message = false;
  for (const auto& name : f.message_fields) {
    if (const Json* v = find_field(doc, name); v != nullptr && !v->is_null()) {
      e.message = scalar_text(*v);
      have_message = true;
      break;
    }
  }
  if (!have_message) e.message = std::string(trim_newline(raw));  // no known line field: keep it all
  // An application's own JSON line written straight to Kafka (pino, Bunyan, zap, logback JSON...):
  // its error and stack trace are read by the one structured-line reader every source uses.
  bool app_line = false;
  for (auto it = doc.begin(); it != doc.end() && !app_line; ++it) app_line = fingerprint::is_error_field(it.key());
  if (app_line) {
    auto s = fingerprint::parse_structured(trim_newline(raw));
    if (s.format == fingerprint::LineFormat::json) {
      e.message = s.grouping_text();
      if (!s.level.empty()) e.level = parse_severity(s.level);
      if (s.error_stack.empty() && !s.message.empty() && !s.error_message.empty())
        add_label(e.labels, "error", s.error_message.substr(0, 256), max_labels);
    }
  }
  while (!e.message.empty() && (e.message.back() == '\n' || e.message.back() == '\r')) e.message.pop_back();
  for (const auto& name : f.timestamp_fields) {
    if (const Json* v = find_field(doc, name); v != nullptr) {
      if (auto t = json_time(*v)) {
        e.ts = *t;
        break;
      }
    }
  }
  for (const auto& name : f.labels_fields) {
    if (const Json* v = find_field(doc, name); v != nullptr && v->is_object()) flatten_into(e.labels, *v, "", max_labels, 0);
  }
  if (f.scalar_fields_as_labels) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (it->is_object() || it->is_array() || it->is_null()) continue;
      if (is_one_of(f.message_fields, it.key()) || is_one_of(f.timestamp_fields, it.key())) continue;
      if (app_line && fingerprint::is_error_field(it.key())) continue;  // already in the message
      add_label(e.labels, it.key(), scalar_text(*it), max_labels);
    }
  }
  auto mapped = [&](const std::string& field) -> std::string {
    if (field.empty()) return {};
    const Json* v = find_field(doc, field);
    return v == nullptr || v->is_null() ? std::string() : scalar_text(*v);
  };
  e.service = mapped(f.service_field);
  e.host = mapped(f.host_field);
  if (auto lv = mapped(f.level_field); !lv.empty()) e.level = parse_severity(lv);
  std::sort(e.labels.begin(), e.labels.end());
  extract_fields(e);
  return e;
}

}  // namespace

RecordFormat parse_record_format(std::string_view s) {
  if (s == "text") return RecordFormat::text;
  if (s == "json") return RecordFormat::json;
  return RecordFormat::auto_detect;
}

UnixMs epoch_number_to_ms(double v) {
  const double a = std::fabs(v);
  if (a < 1e11) return static_cast<UnixMs>(std::llround(v * 1000.0));
  if (a < 1e14) return static_cast<UnixMs>(std::llround(v));
  if (a < 1e17) return static_cast<UnixMs>(std::llround(v / 1000.0));
  return static_cast<UnixMs>(std::llround(v / 1e6));
}

std::variant<LogEvent, DeadLetter> RecordDecoder::decode(std::string_view value, const RecordMeta& meta) const {
  if (value.size() > max_record_bytes) {
    return dead_letter(value, meta,
                       "too_large: record of " + std::to_string(value.size()) + " bytes over max_record_bytes " +
                           std::to_string(max_record_bytes),
                       format == RecordFormat::text ? "text/plain" : "application/json");
  }
  if (format == RecordFormat::text) return text_event(value, meta);
  if (format == RecordFormat::auto_detect && !looks_like_object(value)) return text_event(value, meta);
  Json doc = Json::parse(value.begin(), value.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    if (format == RecordFormat::auto_detect) return text_event(value, meta);
    return dead_letter(value, meta, "bad_json: value is not valid JSON", "application/json");
  }
  return json_event(doc, value, meta, fields);
}

}  // namespace selfheal::ingest::kafka
