// libFuzzer target: the multiline stitcher. Input = lines; the first byte of each line picks a
// stream and a clock step, so interleaving and expiry are explored too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "fingerprint/stitcher.hpp"

namespace fp = selfheal::fingerprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fp::StitchOptions o;
  o.max_lines = 16;
  o.max_bytes = 512;
  o.max_wait_ms = 100;
  o.max_held_lines = 4;
  o.entries = size > 0 && (data[0] & 1) != 0;  // shipper entries or a byte stream
  fp::Stitcher s(o);
  std::vector<fp::StitchedEvent> out;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::int64_t now = 0;
  const char* streams[] = {"a", "b", "c"};
  std::size_t pos = 0;
  while (pos <= in.size()) {
    auto nl = in.find('\n', pos);
    std::string_view line = in.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    unsigned char ctl = line.empty() ? 0 : static_cast<unsigned char>(line[0]);
    now += ctl & 0x3f;
    s.push(streams[ctl % 3], line, now, out);
    if (ctl & 0x80) s.flush_expired(now, out);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  s.flush_all(out);
  if (s.pending() != 0) std::abort();
  for (const auto& e : out) {
    if (e.text.size() > o.max_bytes || e.lines > o.max_lines || e.lines == 0) std::abort();
  }
  return 0;
}
