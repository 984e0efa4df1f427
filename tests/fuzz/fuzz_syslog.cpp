// libFuzzer target for the syslog receiver's parsers: the first byte picks the entry point, the rest
// is the input. Every path must return (never crash, hang or allocate unboundedly).
//   0: parse_syslog on the input as one message, then its labels
//   1: the RFC 6587 framer fed in pieces (sizes from the input), every frame parsed
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "ingest/syslog_parse.hpp"

namespace si = selfheal::ingest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr selfheal::UnixMs now = 1796385600000;
  if (data[0] % 2 == 0) {
    auto p = si::parse_syslog(in, now);
    if (p.ok()) (void)si::syslog_labels(p.message, 16);
    return 0;
  }
  si::SyslogFramer framer(256);
  std::vector<si::SyslogFramer::Frame> frames;
  std::size_t off = 0, step = 1 + data[0] % 13;
  while (off < in.size()) {
    framer.feed(in.substr(off, step), frames);
    off += step;
    step = 1 + (step * 7) % 31;
  }
  framer.finish(frames);
  for (const auto& f : frames) {
    if (f.reject != si::SyslogReject::none) continue;
    auto p = si::parse_syslog(f.bytes, now);
    if (p.ok()) (void)si::syslog_labels(p.message, 4);
  }
  return 0;
}
