// Decoding of Loki push bodies: protobuf wire format, snappy blocks, gzip/deflate, JSON shapes and
// label-set strings. The test vector comes from reference/loki-push.md §3.1.
#include <doctest/doctest.h>

#include <string>

#include "ingest/detail/loki_decode.hpp"
#include "tests/support/compress.hpp"

using namespace selfheal;
using namespace selfheal::ingest::detail;

namespace {

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

const std::string vector_hex =
    "0a580a1b7b6170703d22636865636b6f7574222c20656e763d22646576227d12390a0b08e09983ba06"
    "10959aef3a12144552524f52207061796d656e74206661696c65641a140a0874726163655f69641208"
    "3462663932663335";

}  // namespace

TEST_CASE("the reference test vector decodes to one stream, one entry with structured metadata") {
  const std::string proto = from_hex(vector_hex);
  REQUIRE(proto.size() == 90);
  auto d = decode_push_protobuf(proto);
  REQUIRE(d);
  REQUIRE(d->streams.size() == 1);
  const auto& s = d->streams[0];
  CHECK(s.labels == Labels{{"app", "checkout"}, {"env", "dev"}});
  REQUIRE(s.entries.size() == 1);
  CHECK(s.entries[0].ts_ns == 1732300000123456789LL);
  CHECK(s.entries[0].line == "ERROR payment failed");
  CHECK(s.entries[0].metadata == Labels{{"trace_id", "4bf92f35"}});
}

TEST_CASE("a literal-only snappy block of the test vector decodes like the real compressor output") {
  const std::string proto = from_hex(vector_hex);
  std::string literal = "\x5a\xf0\x59" + proto;  // varint 90, literal tag (len-1 = 89 in one byte)
  REQUIRE(literal.size() == 93);
  auto raw = snappy_block_decode(literal, 1 << 20);
  REQUIRE(raw);
  CHECK(*raw == proto);
  auto real = snappy_block_decode(snappy_block_encode(proto), 1 << 20);
  REQUIRE(real);
  CHECK(*real == proto);
}

TEST_CASE("every truncation of the test vector is rejected as bad input, never a crash") {
  const std::string proto = from_hex(vector_hex);
  for (std::size_t n = 1; n < proto.size(); ++n) {
    auto d = decode_push_protobuf(std::string_view(proto).substr(0, n));
    CHECK_MESSAGE(!d, "prefix length " << n);
    if (!d) CHECK(d.error().code == ErrorCode::bad_input);
  }
}

TEST_CASE("encode then decode round-trips streams, timestamps, newlines and metadata") {
  DecodedPush p;
  auto& s = p.streams.emplace_back();
  s.labels = {{"job", "api"}, {"msg", "with \"quotes\" \\ and\nnewline"}};
  s.entries.push_back({1, "line one", {}});
  s.entries.push_back({1732300000123456789LL, "java.lang.IllegalStateException: x\n\tat a.b(C.java:1)", {{"k", "v"}}});
  auto d = decode_push_protobuf(encode_push_protobuf(p));
  REQUIRE(d);
  REQUIRE(d->streams.size() == 1);
  CHECK(d->streams[0].labels == s.labels);
  REQUIRE(d->streams[0].entries.size() == 2);
  CHECK(d->streams[0].entries[0].ts_ns == 1);
  CHECK(d->streams[0].entries[1].line == s.entries[1].line);
  CHECK(d->streams[0].entries[1].metadata == Labels{{"k", "v"}});
}

TEST_CASE("unknown protobuf fields of every wire type are skipped") {
  std::string proto = from_hex(vector_hex);
  // PushRequest.format (2, string), a fixed64 (9), a fixed32 (10) and a varint (11) at top level.
  std::string extra = std::string("\x12\x04loki", 6) + std::string("\x49", 1) + std::string(8, '\x01') +
                      std::string("\x55", 1) + std::string(4, '\x02') + std::string("\x58\x96\x01", 3);
  auto d = decode_push_protobuf(extra + proto);
  REQUIRE(d);
  CHECK(d->entry_count() == 1);
}

TEST_CASE("malformed protobuf is rejected with a reason") {
  SUBCASE("wrong wire type for streams") { CHECK(!decode_push_protobuf(std::string("\x08\x01", 2))); }
  SUBCASE("length past the end") { CHECK(!decode_push_protobuf(std::string("\x0a\x7f\x00", 3))); }
  SUBCASE("group wire type") { CHECK(!decode_push_protobuf(std::string("\x0b", 1))); }
  SUBCASE("field number zero") { CHECK(!decode_push_protobuf(std::string("\x02\x00", 2))); }
  SUBCASE("eleven-byte varint") { CHECK(!decode_push_protobuf(std::string("\x08") + std::string(10, '\xff') + "\x01")); }
  SUBCASE("stream without labels: refused alone (Loki validates labels per stream)") {
    auto d = decode_push_protobuf(std::string("\x0a\x00", 2));
    REQUIRE(d);
    REQUIRE(d->streams.size() == 1);
    CHECK(d->streams[0].invalid == "stream without labels");
  }
  SUBCASE("entry without timestamp") {
    // stream{labels="{a=\"b\"}", entries{line="x"}}
    std::string labels = "{a=\"b\"}";
    std::string entry = std::string("\x12\x01x", 3);
    std::string stream = std::string("\x0a") + char(labels.size()) + labels + "\x12" + char(entry.size()) + entry;
    auto d = decode_push_protobuf(std::string("\x0a") + char(stream.size()) + stream);
    REQUIRE(!d);
    CHECK(d.error().message.find("timestamp") != std::string::npos);
  }
  SUBCASE("nanos out of range") {
    std::string ts = "\x10\xff\xff\xff\xff\x0f";  // nanos = -1 as int32
    std::string entry = std::string("\x0a") + char(ts.size()) + ts;
    std::string labels = "{a=\"b\"}";
    std::string stream = std::string("\x0a") + char(labels.size()) + labels + "\x12" + char(entry.size()) + entry;
    CHECK(!decode_push_protobuf(std::string("\x0a") + char(stream.size()) + stream));
  }
}

TEST_CASE("snappy: corrupt blocks, the framing format and oversized lengths are refused") {
  const std::string proto = from_hex(vector_hex);
  auto block = snappy_block_encode(proto);
  CHECK(!snappy_block_decode(block.substr(0, block.size() - 5), 1 << 20));
  CHECK(!snappy_block_decode("", 1 << 20));
  auto framed = snappy_block_decode(std::string("\xff\x06\x00\x00sNaPpY", 10) + block, 1 << 20);
  REQUIRE(!framed);
  CHECK(framed.error().message.find("framing") != std::string::npos);
  auto big = snappy_block_decode(block, 10);
  REQUIRE(!big);
  CHECK(big.error().code == ErrorCode::too_large);
  // A length header claiming ~4 GB is refused before any allocation.
  CHECK(snappy_block_decode(std::string("\x80\x80\x80\x80\x0f", 5), 1 << 20).error().code == ErrorCode::too_large);
  CHECK(!snappy_block_decode(std::string("\x80\x80\x80\x80\x10", 5), 1 << 20));  // length overflows 32 bits
}

TEST_CASE("gzip, zlib and raw deflate bodies inflate; corrupt and oversized ones do not") {
  const std::string raw(100'000, 'a');
  for (int window : {15 + 16, 15, -15}) {
    auto r = inflate_body(test::gzip(raw, window), 1 << 20);
    REQUIRE_MESSAGE(r, "window " << window);
    CHECK(*r == raw);
  }
  auto two = inflate_body(test::gzip("ab") + test::gzip("cd"), 1 << 20);  // concatenated gzip members
  REQUIRE(two);
  CHECK(*two == "abcd");
  auto z = test::gzip(raw);
  CHECK(!inflate_body(z.substr(0, z.size() / 2), 1 << 20));
  auto bomb = inflate_body(z, 1000);
  REQUIRE(!bomb);
  CHECK(bomb.error().code == ErrorCode::too_large);
  std::string corrupt = z;
  corrupt[20] ^= 0x55;
  corrupt[21] ^= 0x55;
  CHECK(!inflate_body(corrupt, 1 << 20));
}

TEST_CASE("label strings: Promtail's quoting, Go escapes, raw strings, spacing and trailing comma") {
  struct Case {
    std::string in;
    Labels want;
  };
  const Case cases[] = {
      {R"({app="checkout", env="dev"})", {{"app", "checkout"}, {"env", "dev"}}},
      {R"(  { env = "dev" ,app="checkout",  } )", {{"app", "checkout"}, {"env", "dev"}}},
      {R"({a="q\"uote", b="back\\slash", c="nl\nx"})", {{"a", "q\"uote"}, {"b", "back\\slash"}, {"c", "nl\nx"}}},
      {R"({a="\x41\101\u00e9\U0001F600", b='single \' quote', c=`raw \n stays`})",
       {{"a", "AA\xc3\xa9\xf0\x9f\x98\x80"}, {"b", "single ' quote"}, {"c", "raw \\n stays"}}},
      {R"({a="\a\b\f\r\t\v"})", {{"a", "\a\b\f\r\t\v"}}},
      {R"({keep="x", empty=""})", {{"keep", "x"}}},
  };
  for (const auto& c : cases) {
    auto r = parse_label_string(c.in);
    REQUIRE_MESSAGE(r, c.in << ": " << (r ? "" : r.error().message));
    CHECK(*r == c.want);
    auto again = parse_label_string(canonical_label_string(*r));
    REQUIRE(again);
    CHECK(*again == c.want);
  }
}

TEST_CASE("label strings: malformed sets are rejected with a reason") {
  const char* bad_inputs[] = {
      "",  "app=\"x\"", "{", "{app}", "{app=}", "{app=\"x\"", "{app=\"x\" env=\"y\"}", "{1app=\"x\"}",
      "{app=\"x\\q\"}", "{app=\"\\xZZ\"}", "{app=\"\\400\"}", "{app=\"\\uD800\"}", "{a=\"x\", a=\"y\"}",
      "{}", "{a=\"\"}", "{a=\"x\"} trailing", "{a=\"new\nline\"}", "{a=\"x\"\\}",
  };
  for (const char* in : bad_inputs) {
    auto r = parse_label_string(in);
    CHECK_MESSAGE(!r, "accepted: " << in);
    if (!r) CHECK(!r.error().message.empty());
  }
  DecodeLimits tight;
  tight.max_label_names = 2;
  CHECK(!parse_label_string(R"({a="1", b="2", c="3"})", tight));
  tight = {};
  tight.max_label_value_bytes = 3;
  CHECK(!parse_label_string(R"({a="1234"})", tight));
}

TEST_CASE("canonical label strings sort names and quote control bytes") {
  CHECK(canonical_label_string({{"b", "2"}, {"a", "x\"\x01"}}) == "{a=\"x\\\"\\x01\", b=\"2\"}");
}

TEST_CASE("JSON v1: values, structured metadata, nulls and unknown keys") {
  auto d = decode_push_json(R"({"streams":[{"stream":{"app":"checkout","env":"dev","empty":""},
      "values":[["1732300000123456789","ERROR payment failed"],
                null,
                ["1732300000223456789","retrying",{"trace_id":"4bf92f35"}, "ignored extra"]]},
      {"stream":{"app":"x"},"values":null}], "other": 1})",
                            JsonShape::v1);
  REQUIRE(d);
  REQUIRE(d->streams.size() == 2);
  CHECK(d->streams[0].labels == Labels{{"app", "checkout"}, {"env", "dev"}});
  REQUIRE(d->streams[0].entries.size() == 2);
  CHECK(d->streams[0].entries[1].ts_ns == 1732300000223456789LL);
  CHECK(d->streams[0].entries[1].metadata == Labels{{"trace_id", "4bf92f35"}});
  CHECK(d->streams[1].entries.empty());
}

TEST_CASE("JSON v1: wrong types are bad input with a reason") {
  const char* bad_bodies[] = {
      R"({"streams":[{"stream":{"a":"b"},"values":[[1732300000123456789,"x"]]}]})",  // number timestamp
      R"({"streams":[{"stream":{"a":"b"},"values":[["17323x","x"]]}]})",
      R"({"streams":[{"stream":{"a":"b"},"values":[["99999999999999999999","x"]]}]})",
      R"({"streams":[{"stream":{"a":"b"},"values":[["1",2]]}]})",
      R"({"streams":[{"stream":{"a":"b"},"values":[["1"]]}]})",
      R"({"streams":[{"stream":{"a":"b"},"values":[["1","x",{"k":1}]]}]})",
      R"({"streams":{"a":"b"}})",
      R"([1,2])",
      R"({"streams":[{"stream":{"a":"b"},"values":[["1","x"]]})",
      "",
  };
  for (const char* b : bad_bodies) {
    auto d = decode_push_json(b, JsonShape::v1);
    CHECK_MESSAGE(!d, "accepted: " << b);
    if (!d) CHECK(d.error().code == ErrorCode::bad_input);
  }
  // Label problems refuse the stream, not the body: decoded, flagged, with the stream's JSON kept.
  const char* bad_labels[] = {
      R"({"streams":[{"stream":{"a":1},"values":[]}]})",
      R"({"streams":[{"stream":{},"values":[["1","x"]]}]})",
      R"({"streams":[{"stream":{"bad-name":"b"},"values":[["1","x"]]}]})",
  };
  for (const char* b : bad_labels) {
    auto d = decode_push_json(b, JsonShape::v1);
    REQUIRE_MESSAGE(d, b);
    REQUIRE(d->streams.size() == 1);
    CHECK_MESSAGE(!d->streams[0].invalid.empty(), b);
    CHECK(d->streams[0].raw.find("\"stream\"") != std::string::npos);
  }
}

TEST_CASE("legacy JSON: label strings and RFC 3339 timestamps") {
  auto d = decode_push_json(
      R"({"streams":[{"labels":"{job=\"x\"}","entries":[{"ts":"2024-11-22T18:26:40.123Z","line":"hello",
          "structuredMetadata":{"k":"v"}}]}]})",
      JsonShape::legacy);
  REQUIRE(d);
  REQUIRE(d->entry_count() == 1);
  CHECK(d->streams[0].labels == Labels{{"job", "x"}});
  CHECK(d->streams[0].entries[0].ts_ns == 1732300000123LL * 1'000'000);
  CHECK(d->streams[0].entries[0].metadata == Labels{{"k", "v"}});
  CHECK(!decode_push_json(R"({"streams":[{"labels":"{job=\"x\"}","entries":[{"ts":"yesterday","line":"x"}]}]})",
                          JsonShape::legacy));
  // Years an int64 of nanoseconds cannot hold are bad input, not an overflow (found by fuzz_loki_push).
  for (const char* ts : {"4052-12-03T12:00:00Z", "1013-12-03T12:00:00Z"}) {
    CAPTURE(ts);
    auto far = decode_push_json(std::string(R"({"streams":[{"labels":"{job=\"x\"}","entries":[{"ts":")") + ts +
                                    R"(","line":"x"}]}]})",
                                JsonShape::legacy);
    REQUIRE_FALSE(far);
    CHECK(far.error().message.find("outside 1677..2262") != std::string::npos);
  }
}
