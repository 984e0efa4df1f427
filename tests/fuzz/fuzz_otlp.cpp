// libFuzzer target for the OTLP logs decoders: the first byte picks the entry point, the rest is the
// input. Every path must return (never crash, hang or allocate unboundedly); a refusal carries exactly
// one dead letter; a partial success re-encodes the refused records so that decoding them refuses all.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/detail/otlp_decode.hpp"
#include "ingest/otlp.hpp"
#include "tests/support/fake_clock.hpp"

namespace ld = selfheal::ingest::detail;
using selfheal::ingest::OtlpHandler;
using selfheal::ingest::OtlpOptions;
using selfheal::ingest::OtlpRequest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  ld::OtlpLimits limits;
  switch (data[0] % 4) {
    case 0: (void)ld::decode_otlp_protobuf(in, limits); break;
    case 1: (void)ld::decode_otlp_json(in, limits); break;
    default: {  // the whole handler, as the HTTP route calls it
      static selfheal::FakeClock clock;
      static const OtlpHandler handler = [] {
        OtlpOptions o;
        o.config.max_body_bytes = 1 << 20;
        o.config.max_decompressed_bytes = 1 << 20;
        o.config.max_line_bytes = 4096;
        o.config.max_attributes = 8;
        return OtlpHandler(o, clock);
      }();
      const bool json = data[0] & 0x80;
      const char* ct = json ? "application/json" : "application/x-protobuf";
      auto out = handler.handle(OtlpRequest{ct, data[0] & 0x40 ? "gzip" : "", in});
      if (out.status != 200 && out.batch.dead_letters.size() != 1) __builtin_trap();
      if (out.partial()) {
        if (out.batch.dead_letters.size() != 1) __builtin_trap();
        auto again = handler.handle(OtlpRequest{ct, "", out.batch.dead_letters[0].payload});
        if (again.status != 400 || again.records != 0) __builtin_trap();
      }
      (void)out.response_body();
      break;
    }
  }
  return 0;
}
