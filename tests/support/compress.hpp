#pragma once
// zlib compression for tests that send compressed bodies (the product only ever inflates).
// Header-only: the suites that include it already link zlib.
#include <zlib.h>

#include <string>
#include <string_view>

namespace selfheal::test {

/// `raw` deflated with zlib's `window` bits: 15 + 16 is a gzip member (the default), 15 a zlib
/// stream, -15 raw deflate.
inline std::string gzip(std::string_view raw, int window = 15 + 16) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, window, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, raw.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace selfheal::test
