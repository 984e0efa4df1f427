// libFuzzer target for the Loki push decoders: the first byte picks the entry point, the rest is the
// input. Every path must return a Result (never crash, hang or allocate unboundedly).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/detail/loki_decode.hpp"
#include "ingest/loki_push.hpp"
#include "schema/clock.hpp"
#include "tests/support/fake_clock.hpp"

namespace ld = selfheal::ingest::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  ld::DecodeLimits limits;
  limits.max_decompressed_bytes = 1 << 20;
  switch (data[0] % 8) {
    case 0: (void)ld::decode_push_protobuf(in, limits); break;
    case 1: {
      auto raw = ld::snappy_block_decode(in, limits.max_decompressed_bytes);
      if (raw) (void)ld::decode_push_protobuf(*raw, limits);
      break;
    }
    case 2: (void)ld::decode_push_json(in, ld::JsonShape::v1, limits); break;
    case 3: (void)ld::decode_push_json(in, ld::JsonShape::legacy, limits); break;
    case 4: {
      auto l = ld::parse_label_string(in, limits);
      if (l) (void)ld::parse_label_string(ld::canonical_label_string(*l), limits);  // must round-trip
      break;
    }
    case 5: (void)ld::inflate_body(in, limits.max_decompressed_bytes); break;
    default: {  // the whole handler, protobuf (snappy) or JSON, as the HTTP route calls it
      static selfheal::FakeClock clock;
      selfheal::ingest::LokiPushOptions opts;
      opts.config.max_body_bytes = 1 << 20;
      opts.config.max_decompressed_bytes = 1 << 20;
      opts.config.max_line_bytes = 4096;
      static const selfheal::ingest::LokiPushHandler handler(opts, clock);
      selfheal::ingest::PushRequest req;
      req.content_type = data[0] & 0x80 ? "application/json" : "application/x-protobuf";
      req.content_encoding = data[0] & 0x40 ? "gzip" : "";
      req.body = in;
      auto out = handler.handle(req);
      if (!out.accepted() && out.batch.dead_letters.size() != 1) __builtin_trap();
      break;
    }
  }
  return 0;
}
