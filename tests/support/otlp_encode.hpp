#pragma once
// A small OTLP logs *encoder* for tests, fuzz seeds and the bench: ExportLogsServiceRequest in
// protobuf wire format, built bottom-up from the public field numbers (see ingest/detail/otlp_decode.hpp).
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zlib.h>

#include "ingest/detail/proto_wire.hpp"

namespace selfheal::test::otlp {

namespace wire = selfheal::ingest::detail;

/// AnyValue messages.
inline std::string str(std::string_view s) {
  std::string out;
  wire::put_bytes(out, 1, s);
  return out;
}
inline std::string i64(std::int64_t v) {
  std::string out;
  wire::put_key(out, 3, wire::varint_type);
  wire::put_varint(out, static_cast<std::uint64_t>(v));
  return out;
}
inline std::string boolean(bool v) {
  std::string out;
  wire::put_key(out, 2, wire::varint_type);
  wire::put_varint(out, v ? 1 : 0);
  return out;
}
inline std::string dbl(double v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  std::string out;
  wire::put_fixed64(out, 4, bits);
  return out;
}
/// KeyValue message.
inline std::string kv(std::string_view key, const std::string& any) {
  std::string out;
  wire::put_bytes(out, 1, key);
  wire::put_bytes(out, 2, any);
  return out;
}
inline std::string kvlist(const std::vector<std::string>& kvs) {
  std::string list;
  for (const auto& k : kvs) wire::put_bytes(list, 1, k);
  std::string out;
  wire::put_bytes(out, 6, list);
  return out;
}
inline std::string array(const std::vector<std::string>& values) {
  std::string list;
  for (const auto& v : values) wire::put_bytes(list, 1, v);
  std::string out;
  wire::put_bytes(out, 5, list);
  return out;
}

struct Record {
  std::uint64_t time_ns = 0;
  std::uint64_t observed_ns = 0;
  int severity = 0;
  std::string severity_text;
  std::string body;                // an AnyValue message ("" = no body)
  std::vector<std::string> attrs;  // KeyValue messages
  std::string trace_id;            // raw bytes
  std::string span_id;
};

inline std::string record(const Record& r) {
  std::string out;
  if (r.time_ns) wire::put_fixed64(out, 1, r.time_ns);
  if (r.severity) {
    wire::put_key(out, 2, wire::varint_type);
    wire::put_varint(out, static_cast<std::uint64_t>(r.severity));
  }
  if (!r.severity_text.empty()) wire::put_bytes(out, 3, r.severity_text);
  if (!r.body.empty()) wire::put_bytes(out, 5, r.body);
  for (const auto& a : r.attrs) wire::put_bytes(out, 6, a);
  if (!r.trace_id.empty()) wire::put_bytes(out, 9, r.trace_id);
  if (!r.span_id.empty()) wire::put_bytes(out, 10, r.span_id);
  if (r.observed_ns) wire::put_fixed64(out, 11, r.observed_ns);
  return out;
}

inline std::string scope_logs(std::string_view scope_name, const std::vector<std::string>& records) {
  std::string scope;
  if (!scope_name.empty()) wire::put_bytes(scope, 1, scope_name);
  std::string out;
  wire::put_bytes(out, 1, scope);
  for (const auto& r : records) wire::put_bytes(out, 2, r);
  return out;
}

inline std::string resource_logs(const std::vector<std::string>& resource_attrs, const std::vector<std::string>& scopes) {
  std::string resource;
  for (const auto& a : resource_attrs) wire::put_bytes(resource, 1, a);
  std::string out;
  wire::put_bytes(out, 1, resource);
  for (const auto& s : scopes) wire::put_bytes(out, 2, s);
  return out;
}

inline std::string request(const std::vector<std::string>& resources) {
  std::string out;
  for (const auto& r : resources) wire::put_bytes(out, 1, r);
  return out;
}

/// One resource (service.name = `service`), one scope, records with string bodies.
inline std::string simple_request(std::string_view service, const std::vector<std::string>& lines,
                                  std::uint64_t t0_ns = 1'700'000'000'000'000'000ULL, int severity = 9) {
  std::vector<std::string> recs;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    Record r;
    r.time_ns = t0_ns + i * 1'000'000;
    r.severity = severity;
    r.body = str(lines[i]);
    recs.push_back(record(r));
  }
  return request({resource_logs({kv("service.name", str(service))}, {scope_logs("test", recs)})});
}

/// A gzip member of `raw` (what an exporter with compression "gzip" sends).
inline std::string gzip(std::string_view raw) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&zs, static_cast<uLong>(raw.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(rc == Z_STREAM_END ? zs.total_out : 0);
  deflateEnd(&zs);
  return out;
}

}  // namespace selfheal::test::otlp
