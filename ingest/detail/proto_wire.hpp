#pragma once
// Protobuf wire format, the few pieces the push decoders need (Loki's PushRequest, OTLP's
// ExportLogsServiceRequest): a bounds-checked reader over untrusted bytes and two writers.
// No allocation, no recursion; every read says whether it stayed inside the buffer.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "schema/result.hpp"

namespace selfheal::ingest::detail {

enum WireType : int { varint_type = 0, fixed64_type = 1, len_type = 2, fixed32_type = 5 };

class WireReader {
 public:
  explicit WireReader(std::string_view b)
      : p_(reinterpret_cast<const unsigned char*>(b.data())), end_(p_ + b.size()) {}
  bool done() const { return p_ >= end_; }

  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      unsigned char b = *p_++;
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return shift < 63 || b <= 1;
    }
    return false;  // more than 10 bytes
  }
  bool fixed64(std::uint64_t& v) {
    if (end_ - p_ < 8) return false;
    v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p_[i];  // little endian
    p_ += 8;
    return true;
  }
  bool fixed32(std::uint32_t& v) {
    if (end_ - p_ < 4) return false;
    v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | p_[i];
    p_ += 4;
    return true;
  }
  // Reads a field key. Field numbers 0 and groups are malformed for our messages.
  Result<void> key(std::uint32_t& field, int& type) {
    std::uint64_t k = 0;
    if (!varint(k)) return error("truncated protobuf field key");
    type = static_cast<int>(k & 7);
    std::uint64_t f = k >> 3;
    if (f == 0 || f > 536870911) return error("invalid protobuf field number");
    field = static_cast<std::uint32_t>(f);
    return {};
  }
  Result<void> bytes(std::string_view& out) {
    std::uint64_t n = 0;
    if (!varint(n)) return error("truncated protobuf length");
    if (n > static_cast<std::uint64_t>(end_ - p_)) return error("protobuf length runs past the end of the message");
    out = std::string_view(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(n));
    p_ += n;
    return {};
  }
  Result<void> skip(int type) {
    switch (type) {
      case varint_type: {
        std::uint64_t v;
        if (!varint(v)) return error("truncated protobuf varint");
        return {};
      }
      case fixed64_type: {
        std::uint64_t v;
        if (!fixed64(v)) return error("truncated protobuf fixed64");
        return {};
      }
      case fixed32_type: {
        std::uint32_t v;
        if (!fixed32(v)) return error("truncated protobuf fixed32");
        return {};
      }
      case len_type: {
        std::string_view ignored;
        return bytes(ignored);
      }
      default: return error("unsupported protobuf wire type " + std::to_string(type));
    }
  }

 private:
  static Error error(std::string msg) { return make_error(ErrorCode::bad_input, std::move(msg)); }
  const unsigned char* p_;
  const unsigned char* end_;
};

inline Error wire_type_error(const char* msg, std::uint32_t field, int type) {
  return make_error(ErrorCode::bad_input,
                    std::string(msg) + " field " + std::to_string(field) + " has wire type " + std::to_string(type));
}

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
inline void put_key(std::string& out, std::uint32_t field, WireType type) {
  put_varint(out, (static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(type));
}
inline void put_bytes(std::string& out, std::uint32_t field, std::string_view b) {
  put_key(out, field, len_type);
  put_varint(out, b.size());
  out.append(b);
}
inline void put_fixed64(std::string& out, std::uint32_t field, std::uint64_t v) {
  put_key(out, field, fixed64_type);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

}  // namespace selfheal::ingest::detail
