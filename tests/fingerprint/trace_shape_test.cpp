// The trace-shape table (fingerprint/trace_shape.hpp): one row per marker, read the same way by
// the stitcher, the parser and the sources' severity check.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "fingerprint/stack_trace.hpp"
#include "fingerprint/stitcher.hpp"
#include "fingerprint/trace_shape.hpp"

namespace fp = selfheal::fingerprint;

TEST_CASE("every trace marker is one row of the table, and each row decides the stitcher's line role") {
  std::set<std::string> prefixes;
  for (const auto& m : fp::trace_markers()) {
    const std::string prefix(m.prefix);
    CAPTURE(prefix);
    CHECK(prefixes.insert(prefix).second);  // no marker twice
    CHECK(m.language != fp::TraceLanguage::none);
    const std::string line = prefix + "x" + std::string(m.suffix);
    switch (m.mark) {
      case fp::TraceMark::link: CHECK(fp::classify_line(line) == fp::LineRole::continuation); break;
      case fp::TraceMark::start: CHECK(fp::classify_line(line) == fp::LineRole::trace_start); break;
      case fp::TraceMark::frame:
        CHECK(fp::is_frame_shaped(line));
        CHECK(fp::classify_line("\t" + line) == fp::LineRole::continuation);
        CHECK(fp::classify_line(line) == fp::LineRole::other);  // a frame needs its indent
        break;
    }
  }
  CHECK(fp::match_marker("goroutine 1 [running]:", fp::TraceMark::link) != nullptr);
  CHECK(fp::match_marker("goroutine 1 [running]", fp::TraceMark::link) == nullptr);  // the suffix counts
}

TEST_CASE("contains_stack_trace finds indented frames, tracebacks, goroutines and cause chains, nothing else") {
  struct Row {
    const char* text;
    bool trace;
  };
  const Row rows[] = {
      {"java.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)", true},
      {"Error: boom\n    at f (/app/x.js:1:2)", true},
      {"Unhandled exception. System.Exception: x\n   at A.B() in /a.cs:line 3", true},
      {"Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>", true},
      {"panic: x\n\ngoroutine 1 [running]:\nmain.main()", true},
      {"a.rb:1:in 'x': y (Z)\n\tfrom a.rb:2:in '<main>'", true},
      {"wrapper\nCaused by: java.io.IOException: disk", true},
      {"we are at home\nnothing at all", false},
      {"the goroutine count is 4", false},
      {"Caused by: only on the first line", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    CHECK(fp::contains_stack_trace(r.text) == r.trace);
  }
}

TEST_CASE("the parser reads the same markers: a chained Java trace and a Go panic") {
  auto java = fp::parse_stack_trace(
      "java.lang.RuntimeException: outer\n\tat a.B.c(B.java:1)\nCaused by: java.io.IOException: inner\n\tat d.E.f(E.java:2)\n\t... 1 more");
  REQUIRE(java.chain.size() == 2);
  CHECK(java.language == fp::TraceLanguage::java);
  CHECK(java.chain[1].type == "java.io.IOException");
  auto go = fp::parse_stack_trace("panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:7 +0x1d");
  CHECK(go.language == fp::TraceLanguage::go);
  REQUIRE_FALSE(go.chain.empty());
  CHECK(go.chain[0].type == "panic");
}
