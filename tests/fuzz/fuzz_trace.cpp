// libFuzzer target: the stack-trace parser and the engine's trace path on multi-line input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fingerprint/fingerprint.hpp"
#include "fingerprint/stack_trace.hpp"

namespace fp = selfheal::fingerprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Seed a trace shape so short inputs reach the frame parsers.
  std::string event = "java.lang.IllegalStateException: x\n";
  event.append(reinterpret_cast<const char*>(data), size);
  fp::ParsedTrace t = fp::parse_stack_trace(event);
  for (const auto& e : t.chain)
    if (e.frames.size() != e.kinds.size()) std::abort();
  (void)fp::parse_stack_trace(std::string_view(reinterpret_cast<const char*>(data), size));
  static fp::Engine engine;
  auto f = engine.compute(event);
  if (f.id.size() != 16 || f.template_text.find('\n') != std::string::npos) std::abort();
  (void)engine.explain_json(event);
  return 0;
}
