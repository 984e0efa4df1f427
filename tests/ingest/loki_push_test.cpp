// The Loki push handler: header dispatch, status codes, dead letters, stitching and labels.
#include <doctest/doctest.h>

#include <string>

#include "ingest/event_fields.hpp"
#include "ingest/loki_push.hpp"
#include "schema/clock.hpp"
#include "tests/fingerprint/test_data.hpp"
#include "tests/support/compress.hpp"
#include "tests/support/fake_clock.hpp"

using namespace selfheal;
using namespace selfheal::ingest;

namespace {

detail::DecodedPush one_stream(Labels labels, std::vector<std::string> lines, std::int64_t ts0_ns = 1732300000000000000LL) {
  detail::DecodedPush p;
  auto& s = p.streams.emplace_back();
  s.labels = std::move(labels);
  for (std::size_t i = 0; i < lines.size(); ++i)
    s.entries.push_back({ts0_ns + static_cast<std::int64_t>(i) * 1'000'000, lines[i], {}});
  return p;
}

std::string snappy_proto(const detail::DecodedPush& p) {
  return detail::snappy_block_encode(detail::encode_push_protobuf(p));
}

struct Fixture {
  FakeClock clock{1'800'000'000'000};
  LokiPushOptions opts;
  Fixture() { opts.config.max_body_bytes = 1 << 20; }
  PushOutcome push(std::string_view ct, std::string_view body, std::string_view enc = {}, std::string_view tenant = {}) {
    LokiPushHandler h(opts, clock);
    PushRequest r;
    r.content_type = ct;
    r.content_encoding = enc;
    r.tenant = tenant;
    r.body = body;
    return h.handle(r);
  }
};

}  // namespace

TEST_CASE("a snappy protobuf push becomes events with labels, metadata, tenant and extracted fields") {
  Fixture f;
  detail::DecodedPush p = one_stream({{"app", "checkout"}, {"host", "web-1"}, {"level", "error"}}, {"payment failed"});
  p.streams[0].entries[0].metadata = {{"trace_id", "4bf92f35"}, {"app", "ignored: stream label wins"}};
  auto out = f.push("application/x-protobuf", snappy_proto(p), {}, "team-a");
  REQUIRE(out.accepted());
  CHECK(out.status == 204);
  CHECK(out.entries == 1);
  REQUIRE(out.batch.events.size() == 1);
  CHECK(out.batch.dead_letters.empty());
  const LogEvent& e = out.batch.events[0];
  CHECK(e.ts == 1732300000000LL);
  CHECK(e.message == "payment failed");
  CHECK(e.source == "loki_push");
  CHECK(e.tenant == "team-a");
  CHECK(e.service == "checkout");
  CHECK(e.host == "web-1");
  REQUIRE(e.level);
  CHECK(*e.level == Severity::error);
  CHECK(e.labels == Labels{{"app", "checkout"}, {"host", "web-1"}, {"level", "error"}, {"trace_id", "4bf92f35"}});
}

TEST_CASE("every language's trace pushed one line per entry is one event; the plain entries around it stay one each") {
  for (const char* file : {"traces/java_caused_by.txt", "traces/python_chained.txt", "traces/go_panic.txt",
                           "traces/node_type_error.txt", "traces/dotnet_inner.txt", "traces/ruby34.txt",
                           "traces/ruby_old.txt", "traces/php_uncaught.txt"}) {
    CAPTURE(file);
    const std::string trace = fingerprint::test::fixture(file);
    std::vector<std::string> entries = {"GET /health 200 3ms"};
    std::size_t n = 0;
    for (std::size_t pos = 0; pos <= trace.size(); ++n) {
      auto nl = trace.find('\n', pos);
      entries.push_back(trace.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
      pos = nl == std::string::npos ? trace.size() + 1 : nl + 1;
    }
    entries.insert(entries.end(), {"user alice logged in", "worker 3 finished job 17"});
    Fixture f;
    auto out = f.push("application/x-protobuf", snappy_proto(one_stream({{"app", "a"}}, entries)));
    REQUIRE(out.accepted());
    REQUIRE(out.batch.events.size() == 4);
    CHECK(out.batch.events[1].message == trace);
    CHECK(out.batch.events[1].lines == n);
    CHECK(out.batch.events[2].message == "user alice logged in");
  }
}

TEST_CASE("structured lines (JSON, logfmt) and level prefixes: message, level and fields as a person reads them") {
  Fixture f;
  detail::DecodedPush p = one_stream(
      {{"app", "checkout"}},
      {R"x({"level":50,"time":1764763200000,"pid":7,"hostname":"web-1","msg":"payment failed","err":{"type":"Error","message":"boom","stack":"Error: boom\n    at charge (/srv/app/pay.js:4:9)"}})x",
       R"(level=warn msg="slow query" ms=912)", "E1203 12:00:00.000000     123 pool.go:10] pool exhausted",
       "[INFO] started", "plain line"});
  auto out = f.push("application/x-protobuf", snappy_proto(p));
  REQUIRE(out.accepted());
  REQUIRE(out.batch.events.size() == 5);
  const LogEvent& pino = out.batch.events[0];
  CHECK(pino.message == "payment failed\nError: boom\n    at charge (/srv/app/pay.js:4:9)");
  REQUIRE(pino.level);
  CHECK(*pino.level == Severity::error);
  CHECK(pino.host == "web-1");  // pino's hostname field became a label
  CHECK(label(pino.labels, "pid") == "7");
  CHECK(pino.service == "checkout");  // the stream label wins
  const LogEvent& logfmt = out.batch.events[1];
  CHECK(logfmt.message == "slow query");
  CHECK(logfmt.level == Severity::warning);
  CHECK(label(logfmt.labels, "ms") == "912");
  // Level prefixes keep the line as written; their level counts for severity.
  CHECK(out.batch.events[2].message == "E1203 12:00:00.000000     123 pool.go:10] pool exhausted");
  CHECK(detect_severity(out.batch.events[2]) == Severity::error);
  CHECK(detect_severity(out.batch.events[3]) == Severity::info);
  CHECK(detect_severity(out.batch.events[4]) == Severity::info);
}

TEST_CASE("a header level counts for severity; a stack trace under a lower level is still an error") {
  LogEvent e;
  e.message = "2026-12-03 12:00:00 INFO retry failed, will try again";  // 'failed' alone said error
  CHECK(detect_severity(e) == Severity::info);
  e.message = "WARN disk 91% full";
  CHECK(detect_severity(e) == Severity::warning);
  e.message = "INFO request done\njava.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)";
  CHECK(detect_severity(e) == Severity::error);
  e.message = "F1203 12:00:00.000000 1 main.go:3] cannot start";
  CHECK(detect_severity(e) == Severity::critical);
}

TEST_CASE("Content-Encoding snappy and Content-Type parameters do not change the decoder") {
  Fixture f;
  auto body = snappy_proto(one_stream({{"app", "a"}}, {"x"}));
  CHECK(f.push("application/x-protobuf", body, "snappy").accepted());
  CHECK(f.push("Application/X-Protobuf; charset=utf-8", body).accepted());
  CHECK(f.push("application/octet-stream", body).accepted());
}

TEST_CASE("JSON, gzip JSON and the legacy shape are accepted") {
  Fixture f;
  const std::string json = R"({"streams":[{"stream":{"app":"a"},"values":[["1732300000123456789","one"],["1732300000123456790","two"]]}]})";
  auto plain = f.push("application/json", json);
  REQUIRE(plain.accepted());
  CHECK(plain.entries == 2);
  auto gz = f.push("application/json; charset=utf-8", test::gzip(json), "gzip");
  REQUIRE(gz.accepted());
  CHECK(gz.batch.events.size() == plain.batch.events.size());

  LokiPushHandler h(f.opts, f.clock);
  PushRequest legacy;
  legacy.content_type = "application/json";
  legacy.body = R"({"streams":[{"labels":"{app=\"a\"}","entries":[{"ts":"2024-11-22T18:26:40Z","line":"x"}]}]})";
  legacy.json_shape = detail::JsonShape::legacy;
  CHECK(h.handle(legacy).accepted());
}

TEST_CASE("rejections carry Loki's status, a reason and exactly one dead letter") {
  Fixture f;
  f.opts.config.max_decompressed_bytes = 4096;
  const auto good = snappy_proto(one_stream({{"app", "a"}}, {"x"}));
  struct Case {
    std::string name, ct, enc, body, tenant;
    int status;
    PushReject code;
  };
  const Case cases[] = {
      {"no content type", "", "", good, "", 400, PushReject::bad_content_type},
      {"garbage content type", "protobuf", "", good, "", 400, PushReject::bad_content_type},
      {"unknown encoding", "application/x-protobuf", "br", good, "", 400, PushReject::bad_encoding},
      {"bad snappy", "application/x-protobuf", "", "\x05garbage", "", 400, PushReject::bad_compression},
      {"truncated protobuf", "application/x-protobuf", "",
       detail::snappy_block_encode(detail::encode_push_protobuf(one_stream({{"app", "a"}}, {"x"})).substr(0, 9)), "",
       400, PushReject::bad_protobuf},
      {"bad labels", "application/x-protobuf", "", detail::snappy_block_encode(std::string("\x0a\x05\x0a\x03{a}", 7)),
       "", 400, PushReject::bad_labels},
      {"bad json", "application/json", "", "{\"streams\":[", "", 400, PushReject::bad_json},
      {"json without labels", "application/json", "", R"({"streams":[{"stream":{},"values":[["1","x"]]}]})", "", 400,
       PushReject::bad_labels},
      {"bad gzip", "application/json", "gzip", "\x1f\x8bnot really gzip", "", 400, PushReject::bad_compression},
      {"no streams", "application/json", "", R"({"streams":[]})", "", 422, PushReject::no_streams},
      {"bad tenant", "application/x-protobuf", "", good, "a|b", 400, PushReject::bad_tenant},
      {"over the body limit", "application/x-protobuf", "", std::string((1 << 20) + 1, 'x'), "", 413,
       PushReject::too_large},
      {"over the decompressed limit", "application/x-protobuf", "", detail::snappy_block_encode(std::string(5000, 'x')),
       "", 413, PushReject::too_large},
      {"gzip bomb", "application/json", "gzip", test::gzip(std::string(100'000, ' ')), "", 413, PushReject::too_large},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto out = f.push(c.ct, c.body, c.enc, c.tenant);
    CHECK(!out.accepted());
    CHECK(out.status == c.status);
    CHECK(out.reject == c.code);
    CHECK(!out.reason.empty());
    CHECK(out.batch.events.empty());
    REQUIRE(out.batch.dead_letters.size() == 1);
    const DeadLetter& d = out.batch.dead_letters[0];
    CHECK(d.source == "loki_push");
    CHECK(d.ts == f.clock.now_ms());
    CHECK(d.size == c.body.size());
    CHECK(d.reason.find(std::string(to_string(c.code))) == 0);
    CHECK(d.payload == std::string_view(c.body).substr(0, f.opts.max_dead_letter_bytes));
  }
}

TEST_CASE("a dead letter remembers how to decode its payload again") {
  Fixture f;
  const std::string json = R"({"streams":[{"stream":{"app":"a"},"values":[["1","x"]]}]})";
  LokiPushHandler h(f.opts, f.clock);
  DeadLetter d = h.dead_letter("application/json", "GZIP", test::gzip(json), 10, "test", detail::JsonShape::legacy);
  CHECK(d.content_type == "application/json; selfheal-encoding=gzip; selfheal-shape=legacy");
  PushRequest r = replay_request(d);
  CHECK(r.content_type == "application/json");
  CHECK(r.content_encoding == "gzip");
  CHECK(r.json_shape == detail::JsonShape::legacy);
  CHECK(r.body == d.payload);
  r.json_shape = detail::JsonShape::v1;
  CHECK(h.handle(r).accepted());
}

TEST_CASE("a stack trace pushed one line per entry is stitched into one event per stream") {
  Fixture f;
  detail::DecodedPush p = one_stream({{"app", "a"}},
                                     {"2026-11-23 10:00:00 ERROR request failed", "java.lang.IllegalStateException: boom",
                                      "\tat com.x.A.run(A.java:10)", "\tat com.x.B.call(B.java:20)",
                                      "2026-11-23 10:00:01 INFO next request"});
  p.streams[0].entries[0].metadata = {{"trace_id", "t1"}};
  p.streams[0].entries[4].metadata = {{"trace_id", "t2"}};
  // A second stream interleaved in the same request must not be glued to the first.
  auto& other = p.streams.emplace_back();
  other.labels = {{"app", "b"}};
  other.entries.push_back({1732300000000000000LL, "\tat looks.like.a.Frame(F.java:1)", {}});
  auto out = f.push("application/x-protobuf", snappy_proto(p));
  REQUIRE(out.accepted());
  CHECK(out.entries == 6);
  REQUIRE(out.batch.events.size() == 3);
  const auto& trace = out.batch.events[0];
  CHECK(trace.lines == 4);
  CHECK(trace.message.find("IllegalStateException") != std::string::npos);
  CHECK(trace.message.find("B.call") != std::string::npos);
  CHECK(label(trace.labels, "trace_id") == "t1");
  CHECK(out.batch.events[1].lines == 1);
  CHECK(label(out.batch.events[1].labels, "trace_id") == "t2");
  CHECK(out.batch.events[2].service == "b");
  CHECK(out.batch.events[2].lines == 1);
}

TEST_CASE("an entry already merged by Promtail's multiline stage stays one event") {
  Fixture f;
  auto out = f.push("application/x-protobuf",
                    snappy_proto(one_stream({{"app", "a"}}, {"first", "Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: x\n", "last"})));
  REQUIRE(out.accepted());
  REQUIRE(out.batch.events.size() == 3);
  CHECK(out.batch.events[1].lines == 3);
  CHECK(out.batch.events[1].message.back() == 'x');  // trailing newline stripped
  std::uint32_t total = 0;
  for (const auto& e : out.batch.events) total += e.lines;
  CHECK(total == 5);
}

TEST_CASE("lines over max_line_bytes are truncated and flagged, not rejected") {
  Fixture f;
  f.opts.config.max_line_bytes = 16;
  auto out = f.push("application/x-protobuf", snappy_proto(one_stream({{"app", "a"}}, {std::string(100, 'y'), "short"})));
  REQUIRE(out.accepted());
  REQUIRE(out.batch.events.size() == 2);
  CHECK(out.batch.events[0].truncated);
  CHECK(out.batch.events[0].message.size() == 16);
  CHECK(!out.batch.events[1].truncated);
}

TEST_CASE("tenant ids follow Loki's character set") {
  CHECK(valid_tenant("team-payments"));
  CHECK(valid_tenant("a_b.c*d'e(f)!"));
  CHECK(!valid_tenant(""));
  CHECK(!valid_tenant("."));
  CHECK(!valid_tenant(".."));
  CHECK(!valid_tenant("a|b"));
  CHECK(!valid_tenant("with space"));
  CHECK(!valid_tenant(std::string(151, 'a')));
}

TEST_CASE("a stream with bad labels is refused alone: the others are ingested, 400 names it, the dead letter holds it only") {
  Fixture f;
  SUBCASE("protobuf") {
    // Wire-level: stream 1 valid, stream 2 with an unparsable label string, stream 3 valid.
    detail::DecodedPush p = one_stream({{"app", "a"}}, {"ERROR one", "ERROR two"});
    auto& bad = p.streams.emplace_back();
    bad.invalid = "test";  // makes the encoder write `raw` as the label string
    bad.raw = "{a}";
    bad.entries.push_back({1732300000123000000LL, "ERROR lost?", {}});
    auto third = one_stream({{"app", "c"}}, {"ERROR three"});
    p.streams.push_back(third.streams[0]);
    auto out = f.push("application/x-protobuf", snappy_proto(p));
    CHECK(out.status == 400);
    CHECK(out.reject == PushReject::bad_labels);
    CHECK(out.partial());
    CHECK(out.entries == 3);
    CHECK(out.batch.events.size() == 3);
    CHECK(out.reason.find("1 of 3 streams refused") == 0);
    CHECK(out.reason.find("{a}") != std::string::npos);
    REQUIRE(out.batch.dead_letters.size() == 1);
    const auto& d = out.batch.dead_letters[0];
    // Replaying the dead letter decodes exactly the refused stream, with its raw labels and entry.
    auto raw = detail::snappy_block_decode(d.payload, 1 << 20);
    REQUIRE(raw.has_value());
    auto back = detail::decode_push_protobuf(*raw);
    REQUIRE(back.has_value());
    REQUIRE(back->streams.size() == 1);
    CHECK(back->streams[0].raw == "{a}");
    CHECK(!back->streams[0].invalid.empty());
    REQUIRE(back->streams[0].entries.size() == 1);
    CHECK(back->streams[0].entries[0].line == "ERROR lost?");
    CHECK(back->streams[0].entries[0].ts_ns == 1732300000123000000LL);
    LokiPushHandler h(f.opts, f.clock);
    auto again = h.handle(replay_request(d));
    CHECK(!again.accepted());
    CHECK(again.batch.events.empty());  // nothing of the accepted streams comes back
  }
  SUBCASE("JSON") {
    const std::string body =
        R"({"streams":[{"stream":{"app":"a"},"values":[["1","ERROR one"]]},)"
        R"({"stream":{"1bad":"x"},"values":[["2","ERROR refused"]]},)"
        R"({"stream":{"app":"b","app2":"c"},"values":[["3","ERROR two"],["4","ERROR three"]]}]})";
    auto out = f.push("application/json", test::gzip(body), "gzip");
    CHECK(out.status == 400);
    CHECK(out.partial());
    CHECK(out.batch.events.size() == 3);
    CHECK(out.reason.find("invalid label name '1bad'") != std::string::npos);
    REQUIRE(out.batch.dead_letters.size() == 1);
    const auto& d = out.batch.dead_letters[0];
    CHECK(d.payload.find("1bad") != std::string::npos);
    CHECK(d.payload.find("ERROR one") == std::string::npos);
    CHECK(d.content_type == "application/json");
    auto back = detail::decode_push_json(d.payload, detail::JsonShape::v1);
    REQUIRE(back.has_value());
    REQUIRE(back->streams.size() == 1);
    CHECK(back->streams[0].entries.at(0).line == "ERROR refused");
  }
  SUBCASE("every stream bad: the whole body is refused as before") {
    auto out = f.push("application/json", R"({"streams":[{"stream":{"1bad":"x"},"values":[["2","x"]]}]})");
    CHECK(out.status == 400);
    CHECK(!out.partial());
    CHECK(out.batch.events.empty());
    REQUIRE(out.batch.dead_letters.size() == 1);
  }
}
