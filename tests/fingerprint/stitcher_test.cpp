// The stitcher turns lines into events per stream: headers start events, continuation shapes
// of each language stay inside, limits cut and flag. No clocks: time is passed in.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "fingerprint/stitcher.hpp"
#include "tests/fingerprint/test_data.hpp"

namespace fp = selfheal::fingerprint;
using fp::test::fixture;
using fp::test::lines_of;
using fp::test::stitch_lines;

TEST_CASE("each language's trace stays one event, with or without a header line before it") {
  const char* files[] = {"traces/java_caused_by.txt", "traces/python_chained.txt", "traces/go_panic.txt",
                         "traces/node_type_error.txt", "traces/dotnet_inner.txt", "traces/ruby34.txt",
                         "traces/ruby_old.txt", "traces/php_uncaught.txt"};
  for (const char* f : files) {
    CAPTURE(f);
    std::string trace = fixture(f);
    auto lines = lines_of(trace);
    // header-less stream: two traces back to back
    std::vector<std::string> twice = lines;
    twice.insert(twice.end(), lines.begin(), lines.end());
    auto events = stitch_lines(twice);
    CHECK(events.size() == 2);
    if (!events.empty()) CHECK(events[0].text == trace);
    // header mode: a log line starts each event
    std::vector<std::string> with_headers;
    for (int i = 0; i < 2; ++i) {
      with_headers.push_back("2024-01-01T00:00:0" + std::to_string(i) + ".000Z ERROR [main] app - boom");
      with_headers.insert(with_headers.end(), lines.begin(), lines.end());
    }
    events = stitch_lines(with_headers);
    REQUIRE(events.size() == 2);
    CHECK(events[1].lines == lines.size() + 1);
  }
}

TEST_CASE("interleaved streams never mix") {
  fp::Stitcher s;
  std::vector<fp::StitchedEvent> out;
  s.push("a", "java.lang.IllegalStateException: a", 1, out);
  s.push("b", "java.lang.NullPointerException: b", 2, out);
  s.push("a", "\tat x.A.f(A.java:1)", 3, out);
  s.push("b", "\tat x.B.g(B.java:2)", 4, out);
  CHECK(out.empty());
  CHECK(s.pending() == 2);
  s.flush_all(out);
  REQUIRE(out.size() == 2);
  for (const auto& e : out) {
    if (e.stream == "a") CHECK(e.text == "java.lang.IllegalStateException: a\n\tat x.A.f(A.java:1)");
    if (e.stream == "b") CHECK(e.text == "java.lang.NullPointerException: b\n\tat x.B.g(B.java:2)");
  }
  CHECK(s.pending() == 0);
}

TEST_CASE("plain lines without headers are one event each") {
  auto events = stitch_lines({"first message", "second message", "", "third"});
  REQUIRE(events.size() == 3);
  CHECK(events[2].text == "third");
}

TEST_CASE("with headers, every non-header line belongs to the event before it (Promtail firstline)") {
  auto events =
      stitch_lines({"2024-01-01 10:00:00 INFO a", "continued text", "", "more", "2024-01-01 10:00:01 INFO b"});
  REQUIRE(events.size() == 2);
  CHECK(events[0].text == "2024-01-01 10:00:00 INFO a\ncontinued text\n\nmore");
  CHECK(events[0].ts_ms == 1000);
  CHECK(events[1].text == "2024-01-01 10:00:01 INFO b");
}

TEST_CASE("max_lines cuts an event, flags it and drops the rest of its continuation lines") {
  std::vector<std::string> lines = {"java.lang.StackOverflowError"};
  for (int i = 0; i < 50; ++i) lines.push_back("\tat x.Y.rec(Y.java:" + std::to_string(i) + ")");
  lines.push_back("java.lang.IllegalStateException: next");
  fp::StitchOptions o;
  o.max_lines = 10;
  auto events = stitch_lines(lines, o);
  REQUIRE(events.size() == 2);
  CHECK(events[0].lines == 10);
  CHECK(events[0].truncated);
  CHECK_FALSE(events[1].truncated);
}

TEST_CASE("max_bytes cuts an event and flags it") {
  fp::StitchOptions o;
  o.max_bytes = 64;
  auto events = stitch_lines({"java.lang.X: " + std::string(200, 'm'), "\tat a.B.c(B.java:1)"}, o);
  REQUIRE(events.size() == 1);
  CHECK(events[0].text.size() <= 64);
  CHECK(events[0].truncated);
}

TEST_CASE("flush_expired emits events idle longer than max_wait_ms, and only those") {
  fp::StitchOptions o;
  o.max_wait_ms = 3000;
  fp::Stitcher s(o);
  std::vector<fp::StitchedEvent> out;
  s.push("a", "java.lang.X: a", 1000, out);
  s.push("b", "java.lang.X: b", 3500, out);
  s.flush_expired(4000, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].stream == "a");
  s.flush_expired(7000, out);
  CHECK(out.size() == 2);
  CHECK(s.pending() == 0);
}

TEST_CASE("a NUL byte at the start of a line separates events") {
  auto events = stitch_lines(
      {"java.lang.X: a", "\tat a.B.c(B.java:1)", std::string("\0java.lang.X: b", 15), "\tat a.B.c(B.java:1)"});
  REQUIRE(events.size() == 2);
  CHECK(events[1].text.rfind("java.lang.X: b", 0) == 0);
}

TEST_CASE("classify_line recognises continuation shapes") {
  CHECK(fp::classify_line("\tat a.B.c(B.java:1)") == fp::LineRole::continuation);
  CHECK(fp::classify_line("Caused by: java.io.IOException: x") == fp::LineRole::continuation);
  CHECK(fp::classify_line("\t... 12 more") == fp::LineRole::continuation);
  CHECK(fp::classify_line("goroutine 1 [running]:") == fp::LineRole::continuation);
  CHECK(fp::classify_line("Traceback (most recent call last):") == fp::LineRole::trace_start);
  CHECK(fp::classify_line("panic: boom") == fp::LineRole::trace_start);
  CHECK(fp::classify_line("2024-01-01T00:00:00Z INFO x") == fp::LineRole::header);
  CHECK(fp::classify_line("   ") == fp::LineRole::blank);
  CHECK(fp::classify_line("hello") == fp::LineRole::other);
}

TEST_CASE("without headers, a multi-line exception message stays with its frames") {
  auto events = stitch_lines({"junit.framework.ComparisonFailure: expected:<a", "b]> but was:<c", "", "d]>",
                              "\tat junit.framework.Assert.assertEquals(Assert.java:100)", "next plain line"});
  REQUIRE(events.size() == 2);
  CHECK(events[0].lines == 5);
  CHECK(events[1].text == "next plain line");
}

TEST_CASE("once a stream uses NUL separators, only a NUL starts a new event") {
  auto events =
      stitch_lines({std::string("\0first line", 11), "Errors:", "java.lang.X: y", std::string("\0second", 7), "more"});
  REQUIRE(events.size() == 2);
  CHECK(events[0].lines == 3);
  CHECK(events[1].text == "second\nmore");
}

TEST_CASE("idle streams are forgotten after forget_idle_ms, so churning stream keys do not grow memory") {
  fp::StitchOptions o;
  o.max_wait_ms = 1000;
  o.forget_idle_ms = 60'000;
  fp::Stitcher s(o);
  std::vector<fp::StitchedEvent> out;
  // 10,000 short-lived streams (pods, partitions keys) each send one line, then go quiet.
  for (int i = 0; i < 10'000; ++i) s.push("pod-" + std::to_string(i), "2026-11-23 10:00:00 ERROR x", 1'000 + i, out);
  s.push("steady", "2026-11-23 10:00:00 ERROR y", 11'000, out);
  CHECK(s.streams() == 10'001);
  s.flush_expired(30'000, out);  // events closed, streams still remembered
  CHECK(s.pending() == 0);
  CHECK(s.streams() == 10'001);
  CHECK(out.size() == 10'001);
  s.push("steady", "2026-11-23 10:01:00 ERROR y", 70'000, out);
  s.flush_expired(71'100, out);  // the pods' last lines are over 60 s old; steady is open and recent
  CHECK(s.streams() == 1);
  // A stream with an open event is never forgotten, even when forget_idle_ms is shorter than max_wait_ms.
  fp::StitchOptions odd;
  odd.max_wait_ms = 100'000;
  odd.forget_idle_ms = 10;
  fp::Stitcher t(odd);
  t.push("slow", "2026-11-23 10:00:00 ERROR z", 0, out);
  t.push("slow", "    at com.example.Main.run(Main.java:1)", 1, out);
  t.flush_expired(5'000, out);
  CHECK(t.pending() == 1);
  CHECK(t.streams() == 1);
  t.flush_all(out);
  CHECK(out.back().lines == 2);
}
