#include "ingest/detail/otlp_decode.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "ingest/detail/json_body.hpp"
#include "ingest/detail/proto_wire.hpp"
#include "schema/model.hpp"
#include "schema/text.hpp"

namespace selfheal::ingest::detail {
namespace {

using json = nlohmann::json;
using Attrs = std::vector<std::pair<std::string, json>>;  // KeyValue list, values as plain JSON

Error bad(std::string msg) { return make_error(ErrorCode::bad_input, std::move(msg)); }

constexpr std::uint64_t kMaxNs = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

/// One LogRecord, the same whichever encoding it came in.
struct Record {
  std::uint64_t time_ns = 0;
  std::uint64_t observed_ns = 0;
  std::int64_t severity_number = 0;
  std::string severity_text;
  json body;  // null: no body; object: a kvlist body
  Attrs attrs;
  std::string trace_id;  // lower-case hex
  std::string span_id;
  std::string event_name;
  std::string invalid;  // non-empty: refused alone
};

std::string utf8(std::string_view s) { return valid_utf8(s) ? std::string(s) : to_valid_utf8(s); }

std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  s.resize(max);
  return valid_utf8(s) ? s : to_valid_utf8(s);  // a cut through a UTF-8 sequence becomes U+FFFD
}

std::string to_hex(std::string_view b) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (unsigned char c : b) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

std::string base64(std::string_view b) {
  static constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < b.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(b[i]) << 16) | (static_cast<unsigned char>(b[i + 1]) << 8) |
                   static_cast<unsigned char>(b[i + 2]);
    for (int s : {18, 12, 6, 0}) out.push_back(tbl[(n >> s) & 63]);
  }
  if (i < b.size()) {
    const auto n = (static_cast<unsigned char>(b[i]) << 16) |
                   (i + 1 < b.size() ? static_cast<unsigned char>(b[i + 1]) << 8 : 0);
    out.push_back(tbl[(n >> 18) & 63]);
    out.push_back(tbl[(n >> 12) & 63]);
    out.push_back(i + 1 < b.size() ? tbl[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

/// An id from the wire: empty or all zero is "none"; else it must have `bytes` bytes.
void check_id(std::string_view raw, std::size_t bytes, const char* name, std::string& out, std::string& invalid) {
  if (std::all_of(raw.begin(), raw.end(), [](char c) { return c == 0; })) return;
  if (raw.size() != bytes) {
    invalid = std::string(name) + " must be " + std::to_string(bytes) + " bytes, got " + std::to_string(raw.size());
    return;
  }
  out = to_hex(raw);
}

/// An id from JSON: lower-case hex of the right length, or empty.
void check_hex_id(std::string_view hex, std::size_t bytes, const char* name, std::string& out, std::string& invalid) {
  if (hex.empty() || std::all_of(hex.begin(), hex.end(), [](char c) { return c == '0'; })) return;
  const bool ok = hex.size() == bytes * 2 && std::all_of(hex.begin(), hex.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
                  });
  if (!ok) {
    invalid = std::string(name) + " must be " + std::to_string(bytes * 2) + " hex digits";
    return;
  }
  out.assign(hex);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

/// What a person reads for a value: strings as they are, other scalars and structures as JSON.
std::string render(const json& v) {
  if (v.is_null()) return {};
  if (v.is_string()) return v.get<std::string>();
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string_view find_attr(const Attrs& attrs, std::string_view key) {
  for (const auto& [k, v] : attrs)
    if (k == key && v.is_string()) return v.get_ref<const std::string&>();
  return {};
}

/// Label names: [A-Za-z0-9_], dots and other bytes become '_' (as Loki's OTLP ingestion does).
std::string label_name(std::string_view key) {
  std::string out(key.substr(0, 128));
  for (char& c : out)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) c = '_';
  if (!out.empty() && out[0] >= '0' && out[0] <= '9') out.insert(out.begin(), '_');
  return out;
}

void add_label(Labels& out, std::string name, std::string value, const OtlpLimits& limits, std::size_t cap) {
  if (name.empty() || value.empty() || out.size() >= cap) return;
  if (std::any_of(out.begin(), out.end(), [&](const auto& kv) { return kv.first == name; })) return;  // first wins
  out.emplace_back(std::move(name), cut(std::move(value), limits.max_value_bytes));
}

Labels stream_labels(const Attrs& resource, std::string_view scope_name, const OtlpLimits& limits) {
  std::string service(find_attr(resource, "service.name"));
  if (service.empty() || service.rfind("unknown_service", 0) == 0) {
    for (const char* k : {"k8s.deployment.name", "k8s.statefulset.name", "k8s.daemonset.name", "k8s.cronjob.name",
                          "k8s.job.name", "k8s.container.name"}) {
      if (auto v = find_attr(resource, k); !v.empty()) {
        service.assign(v);
        break;
      }
    }
  }
  if (auto ns = find_attr(resource, "service.namespace"); !ns.empty() && !service.empty())
    service = std::string(ns) + "/" + service;
  std::string host;
  for (const char* k : {"host.name", "k8s.node.name", "k8s.pod.name"}) {
    if (auto v = find_attr(resource, k); !v.empty()) {
      host.assign(v);
      break;
    }
  }
  Labels out;
  const std::size_t cap = limits.max_labels + 3;
  add_label(out, "service_name", std::move(service), limits, cap);
  add_label(out, "host", std::move(host), limits, cap);
  add_label(out, "scope_name", std::string(scope_name), limits, cap);
  for (const auto& [k, v] : resource) add_label(out, label_name(k), render(v), limits, cap);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::string_view level_of(std::int64_t n) {
  if (n >= 1 && n <= 8) return "debug";
  if (n >= 9 && n <= 12) return "info";
  if (n >= 13 && n <= 16) return "warning";
  if (n >= 17 && n <= 20) return "error";
  if (n >= 21 && n <= 24) return "critical";
  return {};
}

/// The entry of one valid record (see the header for the mapping).
PushEntry to_entry(Record&& rec, const OtlpLimits& limits) {
  PushEntry e;
  e.ts_ns = static_cast<std::int64_t>(rec.time_ns ? rec.time_ns : rec.observed_ns);
  if (e.ts_ns == 0) e.ts_ns = limits.now_ns;
  std::string message;
  std::vector<std::pair<std::string, std::string>> body_fields;
  if (rec.body.is_object()) {
    bool found = false;
    for (const char* k : {"message", "msg"}) {
      auto it = rec.body.find(k);
      if (it != rec.body.end() && !found) {
        message = render(*it);
        found = true;
        rec.body.erase(it);
      }
    }
    if (!found) {
      message = render(rec.body);
    } else {
      for (auto& [k, v] : rec.body.items()) body_fields.emplace_back(k, render(v));
    }
  } else {
    message = render(rec.body);
  }
  if (message.empty()) message = rec.event_name;

  // exception.* attributes (semantic conventions) become the trace text of the event.
  const std::string_view type = find_attr(rec.attrs, "exception.type");
  const std::string_view what = find_attr(rec.attrs, "exception.message");
  std::string trace(find_attr(rec.attrs, "exception.stacktrace"));
  if (trace.empty() && (!type.empty() || !what.empty()))
    trace = std::string(type) + (!type.empty() && !what.empty() ? ": " : "") + std::string(what);
  while (!trace.empty() && (trace.back() == '\n' || trace.back() == '\r')) trace.pop_back();
  if (!trace.empty()) {
    if (message.empty() || trace.rfind(message, 0) == 0) message = std::move(trace);
    else message += "\n" + trace;
  }
  e.line = std::move(message);

  const auto level = otlp_level(rec.severity_number, rec.severity_text);
  if (!level.empty()) e.metadata.emplace_back("level", std::string(level));
  if (!rec.trace_id.empty()) e.metadata.emplace_back("trace_id", std::move(rec.trace_id));
  if (!rec.span_id.empty()) e.metadata.emplace_back("span_id", std::move(rec.span_id));
  if (!rec.event_name.empty()) e.metadata.emplace_back("event_name", cut(std::move(rec.event_name), limits.max_value_bytes));
  const std::size_t cap = e.metadata.size() + limits.max_fields;
  auto add = [&](std::string name, std::string value) {
    if (name.empty() || value.empty() || e.metadata.size() >= cap) return;
    if (std::any_of(e.metadata.begin(), e.metadata.end(), [&](const auto& kv) { return kv.first == name; })) return;
    e.metadata.emplace_back(std::move(name), cut(std::move(value), limits.max_value_bytes));
  };
  for (const auto& [k, v] : rec.attrs)
    if (k.rfind("exception.", 0) != 0) add(label_name(k), render(v));
  for (auto& [k, v] : body_fields) add(label_name(k), std::move(v));
  return e;
}

/// A stream under construction: its records are validated one by one.
struct StreamSink {
  OtlpDecoded& out;
  const OtlpLimits& limits;
  PushStream stream;
  std::size_t rejected = 0;

  void take(Record&& rec) {
    if (rec.time_ns > kMaxNs || rec.observed_ns > kMaxNs) rec.invalid = "time_unix_nano beyond the year 2262";
    if (!rec.invalid.empty()) {
      ++rejected;
      ++out.rejected;
      if (out.reasons.size() < 1024) out.reasons += (out.reasons.empty() ? "" : "\n") + rec.invalid;
      return;
    }
    ++out.records;
    stream.entries.push_back(to_entry(std::move(rec), limits));
  }
  void finish() {
    if (!stream.entries.empty()) out.push.streams.push_back(std::move(stream));
  }
};

// ---------------------------------------------------------------------------------------------
// Protobuf

Result<json> pb_any(std::string_view msg, std::size_t depth, const OtlpLimits& limits);

Result<std::pair<std::string, json>> pb_key_value(std::string_view msg, std::size_t depth, const OtlpLimits& limits) {
  WireReader r(msg);
  std::pair<std::string, json> kv;
  while (!r.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = r.key(f, t); !k) return k.error();
    if ((f == 1 || f == 2) && t != len_type) return wire_type_error("KeyValue", f, t);
    if (f == 1 || f == 2) {
      std::string_view sub;
      if (auto b = r.bytes(sub); !b) return b.error();
      if (f == 1) {
        kv.first = utf8(sub);
      } else {
        auto v = pb_any(sub, depth, limits);
        if (!v) return v.error();
        kv.second = std::move(*v);
      }
    } else if (auto s = r.skip(t); !s) {
      return s.error();
    }
  }
  return kv;
}

/// The repeated field 1 of ArrayValue / KeyValueList.
Result<json> pb_list(std::string_view msg, bool kvlist, std::size_t depth, const OtlpLimits& limits) {
  json out = kvlist ? json::object() : json::array();
  WireReader r(msg);
  while (!r.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = r.key(f, t); !k) return k.error();
    if (f != 1) {
      if (auto s = r.skip(t); !s) return s.error();
      continue;
    }
    if (t != len_type) return wire_type_error(kvlist ? "KeyValueList" : "ArrayValue", f, t);
    std::string_view sub;
    if (auto b = r.bytes(sub); !b) return b.error();
    if (kvlist) {
      auto kv = pb_key_value(sub, depth, limits);
      if (!kv) return kv.error();
      out[kv->first] = std::move(kv->second);
    } else {
      auto v = pb_any(sub, depth, limits);
      if (!v) return v.error();
      out.push_back(std::move(*v));
    }
  }
  return out;
}

Result<json> pb_any(std::string_view msg, std::size_t depth, const OtlpLimits& limits) {
  if (depth > limits.max_depth) return bad("AnyValue nested deeper than " + std::to_string(limits.max_depth));
  WireReader r(msg);
  json v;  // an empty AnyValue is null; of several oneof members the last wins
  while (!r.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = r.key(f, t); !k) return k.error();
    const int want = f == 2 || f == 3 ? varint_type : f == 4 ? fixed64_type : len_type;
    if (f >= 1 && f <= 7 && t != want) return wire_type_error("AnyValue", f, t);
    std::uint64_t n = 0;
    std::string_view sub;
    switch (f) {
      case 1:
      case 5:
      case 6:
      case 7:
        if (auto b = r.bytes(sub); !b) return b.error();
        break;
      case 2:
      case 3:
        if (!r.varint(n)) return bad("truncated AnyValue varint");
        break;
      case 4:
        if (!r.fixed64(n)) return bad("truncated AnyValue double");
        break;
      default:
        if (auto s = r.skip(t); !s) return s.error();
        continue;
    }
    if (f == 1) {
      v = utf8(sub);
    } else if (f == 2) {
      v = n != 0;
    } else if (f == 3) {
      v = static_cast<std::int64_t>(n);
    } else if (f == 4) {
      double d = 0;
      std::memcpy(&d, &n, sizeof d);
      v = d;  // NaN and infinities dump as null
    } else if (f == 7) {
      v = base64(sub);
    } else {
      auto list = pb_list(sub, f == 6, depth + 1, limits);
      if (!list) return list.error();
      v = std::move(*list);
    }
  }
  return v;
}

/// Resource / InstrumentationScope / LogRecord attributes (field `field`, repeated KeyValue).
Result<void> pb_attr(WireReader& r, int t, Attrs& out, const OtlpLimits& limits) {
  if (t != len_type) return bad("attributes field has wire type " + std::to_string(t));
  std::string_view sub;
  if (auto b = r.bytes(sub); !b) return b.error();
  auto kv = pb_key_value(sub, 0, limits);
  if (!kv) return kv.error();
  out.push_back(std::move(*kv));
  return {};
}

Result<Record> pb_record(std::string_view msg, const OtlpLimits& limits) {
  Record rec;
  WireReader r(msg);
  while (!r.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = r.key(f, t); !k) return k.error();
    std::string_view sub;
    switch (f) {
      case 1:
      case 11: {
        if (t != fixed64_type) return wire_type_error("LogRecord", f, t);
        std::uint64_t v = 0;
        if (!r.fixed64(v)) return bad("truncated LogRecord time");
        (f == 1 ? rec.time_ns : rec.observed_ns) = v;
        break;
      }
      case 2: {
        if (t != varint_type) return wire_type_error("LogRecord", f, t);
        std::uint64_t v = 0;
        if (!r.varint(v)) return bad("truncated LogRecord severity_number");
        rec.severity_number = static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
        break;
      }
      case 3:
      case 5:
      case 9:
      case 10:
      case 12:
        if (t != len_type) return wire_type_error("LogRecord", f, t);
        if (auto b = r.bytes(sub); !b) return b.error();
        if (f == 3) rec.severity_text = utf8(sub.substr(0, 64));
        if (f == 9) check_id(sub, 16, "trace_id", rec.trace_id, rec.invalid);
        if (f == 10 && rec.invalid.empty()) check_id(sub, 8, "span_id", rec.span_id, rec.invalid);
        if (f == 12) rec.event_name = utf8(sub);
        if (f == 5) {
          auto v = pb_any(sub, 0, limits);
          if (!v) return v.error();
          rec.body = std::move(*v);
        }
        break;
      case 6:
        if (auto a = pb_attr(r, t, rec.attrs, limits); !a) return a.error();
        break;
      default:
        if (auto s = r.skip(t); !s) return s.error();
    }
  }
  return rec;
}

/// The rejected records of one ResourceLogs, re-encoded with their resource and scopes.
struct PbRejects {
  std::string scopes;  // encoded ScopeLogs (field 2 of ResourceLogs)
};

Result<void> pb_scope_logs(std::string_view msg, const Attrs& resource, OtlpDecoded& out, PbRejects& rejects,
                           const OtlpLimits& limits) {
  std::string_view scope_raw;
  bool has_scope = false;
  std::vector<std::string_view> records;
  WireReader r(msg);
  while (!r.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = r.key(f, t); !k) return k.error();
    if ((f == 1 || f == 2) && t != len_type) return wire_type_error("ScopeLogs", f, t);
    std::string_view sub;
    if (f == 1 || f == 2) {
      if (auto b = r.bytes(sub); !b) return b.error();
      if (f == 1) {
        scope_raw = sub;
        has_scope = true;
      } else {
        records.push_back(sub);
      }
    } else if (auto s = r.skip(t); !s) {
      return s.error();
    }
  }
  std::string scope_name;
  WireReader sr(scope_raw);
  while (!sr.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = sr.key(f, t); !k) return k.error();
    std::string_view sub;
    if (f == 1 && t == len_type) {
      if (auto b = sr.bytes(sub); !b) return b.error();
      scope_name = utf8(sub);
    } else if (f == 1) {
      return wire_type_error("InstrumentationScope", f, t);
    } else if (auto s = sr.skip(t); !s) {
      return s.error();
    }
  }
  StreamSink sink{out, limits, {}, 0};
  sink.stream.labels = stream_labels(resource, scope_name, limits);
  std::string refused;
  for (auto rec_raw : records) {
    auto rec = pb_record(rec_raw, limits);
    if (!rec) return rec.error();
    const auto before = sink.rejected;
    sink.take(std::move(*rec));
    if (sink.rejected != before) put_bytes(refused, 2, rec_raw);
  }
  sink.finish();
  if (!refused.empty()) {
    std::string scope_logs;
    if (has_scope) put_bytes(scope_logs, 1, scope_raw);
    scope_logs += refused;
    put_bytes(rejects.scopes, 2, scope_logs);
  }
  return {};
}

Result<void> pb_resource_logs(std::string_view msg, OtlpDecoded& out, const OtlpLimits& limits) {
  std::string_view resource_raw;
  bool has_resource = false;
  std::vector<std::string_view> scopes;
  WireReader r(msg);
  while (!r.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = r.key(f, t); !k) return k.error();
    if ((f == 1 || f == 2) && t != len_type) return wire_type_error("ResourceLogs", f, t);
    std::string_view sub;
    if (f == 1 || f == 2) {
      if (auto b = r.bytes(sub); !b) return b.error();
      if (f == 1) {
        resource_raw = sub;
        has_resource = true;
      } else {
        scopes.push_back(sub);
      }
    } else if (auto s = r.skip(t); !s) {
      return s.error();
    }
  }
  Attrs resource;
  WireReader rr(resource_raw);
  while (!rr.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = rr.key(f, t); !k) return k.error();
    if (f == 1) {
      if (auto a = pb_attr(rr, t, resource, limits); !a) return a.error();
    } else if (auto s = rr.skip(t); !s) {
      return s.error();
    }
  }
  PbRejects rejects;
  for (auto s : scopes)
    if (auto d = pb_scope_logs(s, resource, out, rejects, limits); !d) return d.error();
  if (!rejects.scopes.empty()) {
    std::string rl;
    if (has_resource) put_bytes(rl, 1, resource_raw);
    rl += rejects.scopes;
    put_bytes(out.rejected_payload, 1, rl);
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// JSON (OTLP/JSON: the proto3 JSON mapping with hex trace/span ids)

const json* member(const json& obj, const char* camel, const char* snake) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(camel);
  if (it == obj.end() && snake) it = obj.find(snake);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

const json& array_of(const json& obj, const char* camel, const char* snake, const char* what) {
  static const json empty = json::array();
  const json* a = member(obj, camel, snake);
  if (!a) return empty;
  if (!a->is_array()) throw std::invalid_argument(std::string("\"") + camel + "\" must be an array" + what);
  return *a;
}

/// A 64-bit integer written as a JSON number or a decimal string. False when it is neither.
bool json_u64(const json& v, std::uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<std::uint64_t>();
    return true;
  }
  if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if (i < 0) return false;
    out = static_cast<std::uint64_t>(i);
    return true;
  }
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

json json_any(const json& v, std::size_t depth, const OtlpLimits& limits);

json json_kvlist(const json& values, std::size_t depth, const OtlpLimits& limits) {
  json out = json::object();
  if (!values.is_array()) throw std::invalid_argument("kvlistValue.values must be an array");
  for (const auto& kv : values) {
    const json* key = member(kv, "key", nullptr);
    if (!key || !key->is_string()) throw std::invalid_argument("a KeyValue needs a string \"key\"");
    const json* value = member(kv, "value", nullptr);
    out[key->get<std::string>()] = value ? json_any(*value, depth, limits) : json();
  }
  return out;
}

json json_any(const json& v, std::size_t depth, const OtlpLimits& limits) {
  if (depth > limits.max_depth)
    throw std::invalid_argument("AnyValue nested deeper than " + std::to_string(limits.max_depth));
  if (!v.is_object()) throw std::invalid_argument("an AnyValue must be an object");
  if (const json* s = member(v, "stringValue", "string_value")) {
    if (!s->is_string()) throw std::invalid_argument("stringValue must be a string");
    return *s;
  }
  if (const json* b = member(v, "boolValue", "bool_value")) {
    if (!b->is_boolean()) throw std::invalid_argument("boolValue must be true or false");
    return *b;
  }
  if (const json* i = member(v, "intValue", "int_value")) {
    if (i->is_number_integer()) return *i;
    std::int64_t n = 0;
    const std::string s = i->is_string() ? i->get<std::string>() : std::string();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) throw std::invalid_argument("intValue must be an integer");
    return n;
  }
  if (const json* d = member(v, "doubleValue", "double_value")) {
    if (d->is_number()) return *d;
    if (d->is_string()) return *d;  // "NaN", "Infinity", "-Infinity"
    throw std::invalid_argument("doubleValue must be a number");
  }
  if (const json* a = member(v, "arrayValue", "array_value")) {
    json out = json::array();
    for (const auto& x : array_of(*a, "values", nullptr, " in arrayValue")) out.push_back(json_any(x, depth + 1, limits));
    return out;
  }
  if (const json* kv = member(v, "kvlistValue", "kvlist_value")) {
    const json* values = member(*kv, "values", nullptr);
    return values ? json_kvlist(*values, depth + 1, limits) : json::object();
  }
  if (const json* b = member(v, "bytesValue", "bytes_value")) {
    if (!b->is_string()) throw std::invalid_argument("bytesValue must be a base64 string");
    return *b;
  }
  return json();
}

Attrs json_attrs(const json& obj, const OtlpLimits& limits) {
  Attrs out;
  for (const auto& kv : array_of(obj, "attributes", nullptr, " of KeyValue")) {
    const json* key = member(kv, "key", nullptr);
    if (!key || !key->is_string()) throw std::invalid_argument("a KeyValue needs a string \"key\"");
    const json* value = member(kv, "value", nullptr);
    out.emplace_back(utf8(key->get<std::string>()), value ? json_any(*value, 0, limits) : json());
  }
  return out;
}

std::int64_t json_severity(const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (!v.is_string()) throw std::invalid_argument("severityNumber must be an integer");
  // The proto3 JSON mapping also allows enum names: SEVERITY_NUMBER_WARN2...
  static const std::pair<const char*, int> names[] = {{"TRACE", 1}, {"DEBUG", 5}, {"INFO", 9},
                                                      {"WARN", 13}, {"ERROR", 17}, {"FATAL", 21}};
  std::string_view s = v.get_ref<const std::string&>();
  if (s.rfind("SEVERITY_NUMBER_", 0) != 0) return 0;
  s.remove_prefix(16);
  for (const auto& [name, base] : names) {
    const std::size_t n = std::strlen(name);
    if (s.substr(0, n) != name) continue;
    auto rest = s.substr(n);
    if (rest.empty()) return base;
    if (rest.size() == 1 && rest[0] >= '2' && rest[0] <= '4') return base + (rest[0] - '1');
  }
  return 0;
}

Record json_record(const json& j, const OtlpLimits& limits) {
  if (!j.is_object()) throw std::invalid_argument("a logRecord must be an object");
  Record rec;
  if (const json* t = member(j, "timeUnixNano", "time_unix_nano"); t && !json_u64(*t, rec.time_ns))
    rec.invalid = "timeUnixNano must be a non-negative integer";
  if (const json* t = member(j, "observedTimeUnixNano", "observed_time_unix_nano"); t && !json_u64(*t, rec.observed_ns))
    rec.invalid = "observedTimeUnixNano must be a non-negative integer";
  if (const json* s = member(j, "severityNumber", "severity_number")) rec.severity_number = json_severity(*s);
  if (const json* s = member(j, "severityText", "severity_text"); s && s->is_string())
    rec.severity_text = utf8(s->get_ref<const std::string&>().substr(0, 64));
  if (const json* b = member(j, "body", nullptr)) rec.body = json_any(*b, 0, limits);
  rec.attrs = json_attrs(j, limits);
  if (const json* e = member(j, "eventName", "event_name"); e && e->is_string()) rec.event_name = utf8(e->get<std::string>());
  auto id = [&](const char* camel, const char* snake, std::size_t bytes, std::string& out) {
    const json* v = member(j, camel, snake);
    if (!v) return;
    if (!v->is_string()) {
      rec.invalid = std::string(camel) + " must be a hex string";
      return;
    }
    if (rec.invalid.empty()) check_hex_id(v->get_ref<const std::string&>(), bytes, camel, out, rec.invalid);
  };
  id("traceId", "trace_id", 16, rec.trace_id);
  id("spanId", "span_id", 8, rec.span_id);
  return rec;
}

}  // namespace

std::string_view otlp_level(std::int64_t severity_number, std::string_view severity_text) {
  if (auto l = level_of(severity_number); !l.empty()) return l;
  // Some SDKs send only the text, sometimes with the OTel suffix digit (ERROR2).
  while (!severity_text.empty() && severity_text.back() >= '1' && severity_text.back() <= '9') severity_text.remove_suffix(1);
  if (auto s = parse_severity(severity_text)) return to_string(*s);
  return {};
}

Result<OtlpDecoded> decode_otlp_protobuf(std::string_view bytes, const OtlpLimits& limits) {
  OtlpDecoded out;
  WireReader r(bytes);
  while (!r.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = r.key(f, t); !k) return k.error();
    if (f == 1) {
      if (t != len_type) return wire_type_error("ExportLogsServiceRequest", f, t);
      std::string_view sub;
      if (auto b = r.bytes(sub); !b) return b.error();
      if (auto d = pb_resource_logs(sub, out, limits); !d) return d.error();
    } else if (auto s = r.skip(t); !s) {
      return s.error();
    }
  }
  return out;
}

Result<OtlpDecoded> decode_otlp_json(std::string_view body, const OtlpLimits& limits) {
  auto parsed = parse_json_body(body);
  if (!parsed) return parsed.error();
  json doc = std::move(*parsed);
  try {
    if (!doc.is_object()) return bad("body must be a JSON object with \"resourceLogs\"");
    OtlpDecoded out;
    json refused_resources = json::array();
    for (const auto& rl : array_of(doc, "resourceLogs", "resource_logs", " of ResourceLogs")) {
      if (!rl.is_object()) return bad("a resourceLogs entry must be an object");
      const json* res = member(rl, "resource", nullptr);
      const Attrs resource = res ? json_attrs(*res, limits) : Attrs{};
      json refused_scopes = json::array();
      for (const auto& sl : array_of(rl, "scopeLogs", "scope_logs", " of ScopeLogs")) {
        if (!sl.is_object()) return bad("a scopeLogs entry must be an object");
        const json* scope = member(sl, "scope", nullptr);
        std::string scope_name;
        if (const json* n = scope ? member(*scope, "name", nullptr) : nullptr; n && n->is_string())
          scope_name = utf8(n->get<std::string>());
        StreamSink sink{out, limits, {}, 0};
        sink.stream.labels = stream_labels(resource, scope_name, limits);
        json refused = json::array();
        for (const auto& lr : array_of(sl, "logRecords", "log_records", " of LogRecord")) {
          const auto before = sink.rejected;
          sink.take(json_record(lr, limits));
          if (sink.rejected != before) refused.push_back(lr);
        }
        sink.finish();
        if (!refused.empty()) {
          json s = {{"logRecords", std::move(refused)}};
          if (scope) s["scope"] = *scope;
          refused_scopes.push_back(std::move(s));
        }
      }
      if (!refused_scopes.empty()) {
        json r = {{"scopeLogs", std::move(refused_scopes)}};
        if (res) r["resource"] = *res;
        refused_resources.push_back(std::move(r));
      }
    }
    if (!refused_resources.empty())
      out.rejected_payload = json{{"resourceLogs", std::move(refused_resources)}}.dump(-1, ' ', false, json::error_handler_t::replace);
    return out;
  } catch (const std::exception& e) {  // shape errors (ours and nlohmann's type errors): still bad input
    return bad(std::string("unexpected OTLP/JSON shape: ") + e.what());
  }
}

}  // namespace selfheal::ingest::detail
