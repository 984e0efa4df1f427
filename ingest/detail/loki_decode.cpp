#include "ingest/detail/loki_decode.hpp"

#include "ingest/detail/json_body.hpp"
#include "ingest/detail/proto_wire.hpp"

#include <snappy.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "schema/text.hpp"
#include "schema/time_format.hpp"

namespace selfheal::ingest::detail {
namespace {

Error bad(std::string msg) { return make_error(ErrorCode::bad_input, std::move(msg)); }

// ---------------------------------------------------------------------------------------------
// Label strings

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class LabelParser {
 public:
  explicit LabelParser(std::string_view s) : s_(s) {}

  Result<Labels> parse(const DecodeLimits& limits) {
    Labels out;
    skip_space();
    if (!eat('{')) return fail("expected '{'");
    for (;;) {
      skip_space();
      if (eat('}')) break;
      if (at_end()) return fail("unterminated label set, expected '}'");
      std::string name;
      if (!is_name_start(peek())) return fail("expected a label name");
      while (!at_end() && is_name_char(peek())) name.push_back(s_[i_++]);
      if (name.size() > limits.max_label_name_bytes) return fail("label name longer than " + std::to_string(limits.max_label_name_bytes) + " bytes");
      skip_space();
      if (!eat('=')) return fail("expected '=' after label name '" + name + "'");
      skip_space();
      std::string value;
      if (auto r = quoted(value); !r) return r.error();
      if (value.size() > limits.max_label_value_bytes)
        return fail("value of label '" + name + "' longer than " + std::to_string(limits.max_label_value_bytes) + " bytes");
      out.emplace_back(std::move(name), std::move(value));
      if (out.size() > limits.max_label_names)
        return fail("more than " + std::to_string(limits.max_label_names) + " label names");
      skip_space();
      if (eat(',')) continue;
      if (eat('}')) break;
      return fail("expected ',' or '}'");
    }
    skip_space();
    if (!at_end()) return fail("unexpected text after '}'");
    return out;
  }

 private:
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return s_[i_]; }
  bool eat(char c) {
    if (!at_end() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void skip_space() {
    while (!at_end() && is_space(s_[i_])) ++i_;
  }
  Error fail(const std::string& what) const { return bad(what + " at offset " + std::to_string(i_)); }

  Result<void> quoted(std::string& out) {
    if (at_end()) return fail("expected a quoted label value");
    const char q = s_[i_];
    if (q != '"' && q != '\'' && q != '`') return fail("expected a quoted label value");
    ++i_;
    if (q == '`') {  // raw string: no escapes
      auto end = s_.find('`', i_);
      if (end == std::string_view::npos) return fail("unterminated raw string");
      out.assign(s_.substr(i_, end - i_));
      i_ = end + 1;
      return {};
    }
    for (;;) {
      if (at_end()) return fail("unterminated quoted string");
      char c = s_[i_++];
      if (c == q) return {};
      if (c == '\n') return fail("newline inside a quoted string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (at_end()) return fail("unterminated escape");
      char e = s_[i_++];
      switch (e) {
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case '\\': out.push_back('\\'); break;
        case '"': out.push_back('"'); break;
        case '\'': out.push_back('\''); break;
        case 'x': {
          if (i_ + 2 > s_.size()) return fail("short \\x escape");
          int h = hex_value(s_[i_]), l = hex_value(s_[i_ + 1]);
          if (h < 0 || l < 0) return fail("bad \\x escape");
          out.push_back(static_cast<char>(h * 16 + l));
          i_ += 2;
          break;
        }
        case 'u':
        case 'U': {
          std::size_t n = e == 'u' ? 4 : 8;
          if (i_ + n > s_.size()) return fail("short unicode escape");
          std::uint32_t cp = 0;
          for (std::size_t k = 0; k < n; ++k) {
            int h = hex_value(s_[i_ + k]);
            if (h < 0) return fail("bad unicode escape");
            cp = cp * 16 + static_cast<std::uint32_t>(h);
          }
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return fail("invalid unicode code point in escape");
          append_utf8(out, cp);
          i_ += n;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            if (i_ + 2 > s_.size()) return fail("short octal escape");
            int v = e - '0';
            for (int k = 0; k < 2; ++k) {
              char d = s_[i_ + static_cast<std::size_t>(k)];
              if (d < '0' || d > '7') return fail("bad octal escape");
              v = v * 8 + (d - '0');
            }
            if (v > 255) return fail("octal escape above \\377");
            out.push_back(static_cast<char>(v));
            i_ += 2;
            break;
          }
          return fail(std::string("unknown escape sequence \\") + e);
      }
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// Sorts, drops empty values and rejects duplicates / empty sets (Loki's validation).
Result<Labels> finish_labels(Labels labels) {
  std::erase_if(labels, [](const auto& kv) { return kv.second.empty(); });
  std::sort(labels.begin(), labels.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 1; i < labels.size(); ++i)
    if (labels[i].first == labels[i - 1].first) return bad("duplicate label name '" + labels[i].first + "'");
  if (labels.empty()) return bad("at least one label pair is required per stream");
  return labels;
}

bool valid_label_name(std::string_view n) {
  if (n.empty() || !is_name_start(n[0])) return false;
  return std::all_of(n.begin(), n.end(), is_name_char);
}

// ---------------------------------------------------------------------------------------------
// Protobuf wire format

Result<std::int64_t> decode_timestamp(std::string_view msg) {
  WireReader r(msg);
  std::int64_t seconds = 0;
  std::int64_t nanos = 0;
  while (!r.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = r.key(f, t); !k) return k.error();
    if ((f == 1 || f == 2) && t == varint_type) {
      std::uint64_t v;
      if (!r.varint(v)) return bad("truncated timestamp");
      if (f == 1) seconds = static_cast<std::int64_t>(v);
      else nanos = static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    } else if (f == 1 || f == 2) {
      return wire_type_error("Timestamp", f, t);
    } else if (auto s = r.skip(t); !s) {
      return s.error();
    }
  }
  if (nanos < 0 || nanos > 999'999'999) return bad("timestamp nanos out of range");
  constexpr std::int64_t max_s = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
  if (seconds < -max_s || seconds > max_s) return bad("timestamp seconds out of range");
  return seconds * 1'000'000'000 + nanos;
}

Result<void> decode_label_pair(std::string_view msg, Labels& out) {
  WireReader r(msg);
  std::string_view name, value;
  while (!r.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = r.key(f, t); !k) return k.error();
    if ((f == 1 || f == 2) && t != len_type) return wire_type_error("LabelPairAdapter", f, t);
    if (f == 1) {
      if (auto b = r.bytes(name); !b) return b;
    } else if (f == 2) {
      if (auto b = r.bytes(value); !b) return b;
    } else if (auto s = r.skip(t); !s) {
      return s;
    }
  }
  if (name.empty()) return bad("structured metadata pair without a name");
  out.emplace_back(std::string(name), std::string(value));
  return {};
}

Result<void> decode_entry(std::string_view msg, PushEntry& e) {
  WireReader r(msg);
  bool have_ts = false;
  while (!r.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = r.key(f, t); !k) return k.error();
    if (f >= 1 && f <= 4 && t != len_type) return wire_type_error("EntryAdapter", f, t);
    std::string_view sub;
    switch (f) {
      case 1: {
        if (auto b = r.bytes(sub); !b) return b;
        auto ts = decode_timestamp(sub);
        if (!ts) return ts.error();
        e.ts_ns = *ts;
        have_ts = true;
        break;
      }
      case 2:
        if (auto b = r.bytes(sub); !b) return b;
        e.line.assign(sub);
        break;
      case 3:
        if (auto b = r.bytes(sub); !b) return b;
        if (auto p = decode_label_pair(sub, e.metadata); !p) return p;
        break;
      default:  // 4 = parsed (query responses only) and unknown fields
        if (auto s = r.skip(t); !s) return s;
    }
  }
  if (!have_ts) return bad("entry without a timestamp");
  return {};
}

Result<void> decode_stream(std::string_view msg, PushStream& s, const DecodeLimits& limits) {
  WireReader r(msg);
  std::string_view labels;
  bool have_labels = false;
  while (!r.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = r.key(f, t); !k) return k.error();
    if ((f == 1 || f == 2) && t != len_type) return wire_type_error("StreamAdapter", f, t);
    std::string_view sub;
    if (f == 1) {
      if (auto b = r.bytes(labels); !b) return b;
      have_labels = true;
    } else if (f == 2) {
      if (auto b = r.bytes(sub); !b) return b;
      PushEntry& e = s.entries.emplace_back();
      if (auto d = decode_entry(sub, e); !d) return d;
    } else if (auto sk = r.skip(t); !sk) {  // 3 = hash, ignored
      return sk;
    }
  }
  // Label problems refuse this stream only (Loki's validation is per stream); wire errors above refuse the body.
  if (!have_labels) {
    s.invalid = "stream without labels";
    return {};
  }
  auto parsed = parse_label_string(labels, limits);
  if (!parsed) {
    s.invalid = "error parsing labels '" + std::string(labels.substr(0, 256)) + "': " + parsed.error().message;
    s.raw.assign(labels);
    return {};
  }
  s.labels = std::move(*parsed);
  return {};
}

// ---------------------------------------------------------------------------------------------
// JSON

using nlohmann::json;

Result<std::int64_t> parse_ns_string(const json& v) {
  if (!v.is_string()) return bad("timestamp must be a string of Unix nanoseconds");
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > 19) return bad("timestamp '" + s.substr(0, 32) + "' is not Unix nanoseconds");
  std::int64_t out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return bad("timestamp '" + s.substr(0, 32) + "' is not Unix nanoseconds");
    if (out > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10) return bad("timestamp out of range");
    out = out * 10 + (c - '0');
  }
  return out;
}

Result<Labels> labels_from_object(const json& obj, const DecodeLimits& limits, const char* what) {
  Labels out;
  if (obj.is_null()) return out;
  if (!obj.is_object()) return bad(std::string(what) + " must be an object of strings");
  if (obj.size() > limits.max_label_names) return bad("more than " + std::to_string(limits.max_label_names) + " labels");
  for (const auto& [k, v] : obj.items()) {
    if (!v.is_string()) return bad(std::string(what) + " value of '" + k.substr(0, 64) + "' must be a string");
    const auto& s = v.get_ref<const std::string&>();
    if (k.size() > limits.max_label_name_bytes || s.size() > limits.max_label_value_bytes)
      return bad(std::string(what) + " name or value of '" + k.substr(0, 64) + "' too long");
    out.emplace_back(k, s);
  }
  return out;
}

Result<void> decode_v1_stream(const json& js, PushStream& s, const DecodeLimits& limits) {
  if (!js.is_object()) return bad("each stream must be an object");
  auto st = js.find("stream");
  // Label problems refuse this stream only (Loki's validation is per stream); the entries are still
  // decoded so the stream can be kept as a dead letter. Structural errors refuse the body.
  auto validated = [&]() -> Result<Labels> {
    auto labels = labels_from_object(st == js.end() ? json() : *st, limits, "stream");
    if (!labels) return labels.error();
    for (const auto& kv : *labels)
      if (!valid_label_name(kv.first)) return bad("invalid label name '" + kv.first.substr(0, 64) + "'");
    return finish_labels(std::move(*labels));
  }();
  if (validated) {
    s.labels = std::move(*validated);
  } else {
    s.invalid = validated.error().message;
    s.raw = js.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  auto vals = js.find("values");
  if (vals == js.end() || vals->is_null()) return {};
  if (!vals->is_array()) return bad("values must be an array");
  s.entries.reserve(vals->size());
  for (const auto& item : *vals) {
    if (item.is_null()) continue;
    if (!item.is_array() || item.size() < 2) return bad("each value must be [timestamp, line(, metadata)]");
    auto ts = parse_ns_string(item[0]);
    if (!ts) return ts.error();
    if (!item[1].is_string()) return bad("log line must be a string");
    PushEntry& e = s.entries.emplace_back();
    e.ts_ns = *ts;
    e.line = item[1].get<std::string>();
    if (item.size() >= 3) {
      auto md = labels_from_object(item[2], limits, "structured metadata");
      if (!md) return md.error();
      e.metadata = std::move(*md);
    }
  }
  return {};
}

Result<void> decode_legacy_stream(const json& js, PushStream& s, const DecodeLimits& limits) {
  if (!js.is_object()) return bad("each stream must be an object");
  auto lb = js.find("labels");
  if (lb == js.end() || !lb->is_string()) return bad("stream labels must be a label-set string");
  auto labels = parse_label_string(lb->get_ref<const std::string&>(), limits);
  if (labels) {
    s.labels = std::move(*labels);
  } else {  // this stream only, as in Loki
    s.invalid = "error parsing labels: " + labels.error().message;
    s.raw = js.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  auto ents = js.find("entries");
  if (ents == js.end() || ents->is_null()) return {};
  if (!ents->is_array()) return bad("entries must be an array");
  for (const auto& item : *ents) {
    if (item.is_null()) continue;
    if (!item.is_object()) return bad("each entry must be an object");
    auto ts = item.find("ts");
    auto line = item.find("line");
    if (ts == item.end() || !ts->is_string()) return bad("entry ts must be an RFC 3339 string");
    auto ms = parse_time(ts->get_ref<const std::string&>());
    if (!ms) return bad("entry ts '" + ts->get<std::string>().substr(0, 40) + "' is not RFC 3339");
    // Unix nanoseconds in an int64 span the years 1677 to 2262 (found by fuzz_loki_push: overflow).
    constexpr std::int64_t max_ms = std::numeric_limits<std::int64_t>::max() / 1'000'000;
    if (*ms > max_ms || *ms < -max_ms)
      return bad("entry ts '" + ts->get<std::string>().substr(0, 40) + "' is outside 1677..2262");
    PushEntry& e = s.entries.emplace_back();
    e.ts_ns = *ms * 1'000'000;
    if (line != item.end() && !line->is_null()) {
      if (!line->is_string()) return bad("entry line must be a string");
      e.line = line->get<std::string>();
    }
    auto md = item.find("structuredMetadata");
    if (md != item.end() && md->is_array()) {  // protobuf-style [{"name":..,"value":..}]
      for (const auto& p : *md) {
        if (!p.is_object() || !p.contains("name") || !p["name"].is_string() ||
            (p.contains("value") && !p["value"].is_string()))
          return bad("structuredMetadata items must be {name, value} strings");
        e.metadata.emplace_back(p["name"].get<std::string>(), p.value("value", std::string()));
      }
    } else if (md != item.end()) {
      auto m = labels_from_object(*md, limits, "structured metadata");
      if (!m) return m.error();
      e.metadata = std::move(*m);
    }
  }
  return {};
}

}  // namespace

std::size_t DecodedPush::entry_count() const {
  std::size_t n = 0;
  for (const auto& s : streams) n += s.entries.size();
  return n;
}

Result<Labels> parse_label_string(std::string_view text, const DecodeLimits& limits) {
  auto labels = LabelParser(text).parse(limits);
  if (!labels) return labels.error();
  return finish_labels(std::move(*labels));
}

std::string canonical_label_string(const Labels& labels) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out = "{";
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i) out += ", ";
    out += sorted[i].first;
    out += "=\"";
    for (unsigned char c : sorted[i].second) {
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
    }
    out += '"';
  }
  out += '}';
  return out;
}

Result<std::string> snappy_block_decode(std::string_view body, std::size_t max_out) {
  static constexpr std::string_view framing_magic("\xff\x06\x00\x00sNaPpY", 10);
  if (body.substr(0, framing_magic.size()) == framing_magic)
    return bad("snappy framing format is not supported; send a raw snappy block");
  std::size_t n = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &n)) return bad("invalid snappy block: bad length header");
  if (n > max_out)
    return make_error(ErrorCode::too_large, "decompressed body of " + std::to_string(n) + " bytes exceeds the limit of " +
                                                std::to_string(max_out) + " bytes");
  std::string out(n, '\0');
  if (!snappy::RawUncompress(body.data(), body.size(), out.data())) return bad("invalid snappy block: corrupt data");
  return out;
}

Result<std::string> inflate_body(std::string_view body, std::size_t max_out) {
  int window = -15;  // raw deflate (Go's compress/flate)
  if (body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f && static_cast<unsigned char>(body[1]) == 0x8b) {
    window = 15 + 16;  // gzip
  } else if (body.size() >= 2 && (static_cast<unsigned char>(body[0]) & 0x0f) == 8 &&
             ((static_cast<unsigned>(static_cast<unsigned char>(body[0])) << 8) | static_cast<unsigned char>(body[1])) % 31 == 0) {
    window = 15;  // zlib
  }
  z_stream zs{};
  if (inflateInit2(&zs, window) != Z_OK) return make_error(ErrorCode::internal, "zlib init failed");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  zs.avail_in = static_cast<uInt>(std::min<std::size_t>(body.size(), std::numeric_limits<uInt>::max()));
  char buf[64 * 1024];
  Result<std::string> result = bad("truncated compressed body");
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    int rc = inflate(&zs, Z_NO_FLUSH);
    std::size_t produced = sizeof(buf) - zs.avail_out;
    if (out.size() + produced > max_out) {
      result = make_error(ErrorCode::too_large, "decompressed body exceeds the limit of " + std::to_string(max_out) + " bytes");
      break;
    }
    out.append(buf, produced);
    if (rc == Z_STREAM_END) {
      if (window == 15 + 16 && zs.avail_in > 0) {  // concatenated gzip members
        if (inflateReset(&zs) != Z_OK) break;
        continue;
      }
      result = std::move(out);
      break;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // input ended before the stream did
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      result = bad(std::string("invalid compressed body: ") + (zs.msg ? zs.msg : "corrupt data"));
      break;
    }
  }
  inflateEnd(&zs);
  return result;
}

namespace {
// Invalid UTF-8 in lines, label values and metadata becomes U+FFFD, the same on both wire formats
// (as Loki does): one bad byte never refuses a body, and its replay never fails for it.
void repair_utf8(DecodedPush& p) {
  auto fix = [](std::string& s) {
    if (!valid_utf8(s)) s = to_valid_utf8(s);
  };
  for (auto& s : p.streams) {
    for (auto& kv : s.labels) fix(kv.second);
    for (auto& e : s.entries) {
      fix(e.line);
      for (auto& kv : e.metadata) {
        fix(kv.first);
        fix(kv.second);
      }
    }
    fix(s.invalid);
  }
}
}  // namespace

Result<DecodedPush> decode_push_protobuf(std::string_view bytes, const DecodeLimits& limits) {
  DecodedPush out;
  WireReader r(bytes);
  while (!r.done()) {
    std::uint32_t f = 0;
    int t = 0;
    if (auto k = r.key(f, t); !k) return k.error();
    if (f == 1) {
      if (t != len_type) return wire_type_error("PushRequest", f, t);
      std::string_view sub;
      if (auto b = r.bytes(sub); !b) return b.error();
      PushStream& s = out.streams.emplace_back();
      if (auto d = decode_stream(sub, s, limits); !d) return d.error();
    } else if (auto s = r.skip(t); !s) {  // 2 = format, ignored
      return s.error();
    }
  }
  repair_utf8(out);
  return out;
}

Result<DecodedPush> decode_push_json(std::string_view body, JsonShape shape, const DecodeLimits& limits) {
  auto parsed = parse_json_body(body);
  if (!parsed) return parsed.error();
  json doc = std::move(*parsed);
  try {
    if (!doc.is_object()) return bad("body must be a JSON object with \"streams\"");
    DecodedPush out;
    auto streams = doc.find("streams");
    if (streams == doc.end() || streams->is_null()) return out;
    if (!streams->is_array()) return bad("\"streams\" must be an array");
    out.streams.reserve(streams->size());
    for (const auto& js : *streams) {
      if (js.is_null()) continue;
      PushStream& s = out.streams.emplace_back();
      auto r = shape == JsonShape::v1 ? decode_v1_stream(js, s, limits) : decode_legacy_stream(js, s, limits);
      if (!r) return r.error();
    }
    repair_utf8(out);  // label strings with \x escapes can still spell invalid bytes
    return out;
  } catch (const json::exception& e) {  // type errors we did not anticipate: still bad input
    return bad(std::string("unexpected JSON shape: ") + e.what());
  }
}


std::string encode_push_protobuf(const DecodedPush& push) {
  std::string out;
  for (const auto& s : push.streams) {
    std::string stream;
    put_bytes(stream, 1, s.invalid.empty() ? canonical_label_string(s.labels) : s.raw);
    for (const auto& e : s.entries) {
      std::string entry, ts;
      std::int64_t sec = e.ts_ns / 1'000'000'000, nanos = e.ts_ns % 1'000'000'000;
      if (nanos < 0) {
        nanos += 1'000'000'000;
        --sec;
      }
      if (sec != 0) {
        put_varint(ts, 1 << 3);
        put_varint(ts, static_cast<std::uint64_t>(sec));
      }
      if (nanos != 0) {
        put_varint(ts, 2 << 3);
        put_varint(ts, static_cast<std::uint64_t>(nanos));
      }
      put_bytes(entry, 1, ts);
      put_bytes(entry, 2, e.line);
      for (const auto& [k, v] : e.metadata) {
        std::string pair;
        put_bytes(pair, 1, k);
        put_bytes(pair, 2, v);
        put_bytes(entry, 3, pair);
      }
      put_bytes(stream, 2, entry);
    }
    put_bytes(out, 1, stream);
  }
  return out;
}

std::string snappy_block_encode(std::string_view raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

}  // namespace selfheal::ingest::detail
