#pragma once
// Stack-trace parser: Java/JVM, Python, Go, Node.js, .NET, Ruby and PHP shapes -> frames.
// Pure; tolerant of any bytes. Frame normalisation removes compiler/runtime counters.

#include <string>
#include <string_view>
#include <vector>

#include "fingerprint/fingerprint.hpp"
#include "fingerprint/trace_shape.hpp"  // TraceLanguage and the line shapes the parser reads

namespace selfheal::fingerprint {

std::string_view to_string(TraceLanguage lang);

enum class FrameKind { app, test, library };

struct ParsedException {
  std::string type;                 ///< e.g. "java.lang.IllegalStateException"
  std::string value;                ///< message (may span lines, joined with '\n')
  std::vector<Frame> frames;        ///< crash-side first
  std::vector<FrameKind> kinds;     ///< parallel to frames
};

struct ParsedTrace {
  TraceLanguage language = TraceLanguage::none;
  /// Outermost (wrapper) first, root cause last, whatever order the runtime printed.
  std::vector<ParsedException> chain;
  std::size_t frame_count = 0;
  bool has_trace() const { return language != TraceLanguage::none && frame_count > 0; }
};

/// Parses a stitched event. Lines before the trace (a log header, a message) are ignored.
ParsedTrace parse_stack_trace(std::string_view event);

/// General in-app rules: runtime, stdlib, framework and test-harness code is not "app".
FrameKind classify_frame(const Frame& f, TraceLanguage lang);

/// Removes generated parts of names: lambda counters, $$Lambda$12/0x.., CGLIB/javassist
/// suffixes, GeneratedMethodAccessor12, Go/JS anonymous counters.
std::string normalize_symbol(std::string_view name);

}  // namespace selfheal::fingerprint
