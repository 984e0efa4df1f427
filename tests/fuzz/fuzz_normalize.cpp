// libFuzzer target: the message scanner, header stripping and the engine's message path.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fingerprint/fingerprint.hpp"
#include "fingerprint/normalize.hpp"

namespace fp = selfheal::fingerprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  static fp::Normalized n;
  fp::normalize_into(in, n);
  if (n.text.size() > fp::NormalizeOptions{}.max_input_bytes * 3 + 16) std::abort();
  for (char c : n.text)
    if (c == '\n' || c == '\t' || c == '\0') std::abort();  // templates are one clean line
  if (n.values.size() > fp::NormalizeOptions{}.max_values) std::abort();
  (void)fp::strip_header(in);
  (void)fp::starts_with_timestamp(in);
  static fp::Engine engine;
  auto f = engine.compute(in);
  if (f.id.size() != 16) std::abort();
  (void)engine.explain_json(in);
  return 0;
}
