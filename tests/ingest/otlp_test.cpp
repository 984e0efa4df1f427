// The OTLP logs handler: both encodings, gzip, the mapping to events, partial success, refusals.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ingest/detail/otlp_decode.hpp"
#include "ingest/detail/proto_wire.hpp"
#include "ingest/otlp.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/otlp_encode.hpp"

using namespace selfheal;
using namespace selfheal::ingest;
namespace otlp = selfheal::test::otlp;
using nlohmann::json;

namespace {

constexpr const char* kProto = "application/x-protobuf";
constexpr const char* kJson = "application/json";
const std::string kTrace("\x5b\x8e\xfe\xad\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b", 16);
const std::string kSpan("\xab\xcd\xef\x01\x02\x03\x04\x05", 8);
constexpr const char* kTraceHex = "5b8efead000102030405060708090a0b";
constexpr const char* kSpanHex = "abcdef0102030405";

struct Fixture {
  FakeClock clock{1'800'000'000'000};
  OtlpOptions opts;
  Fixture() { opts.config.max_body_bytes = 1 << 20; }
  OtlpOutcome post(std::string_view ct, std::string_view body, std::string_view enc = {}) const {
    OtlpHandler h(opts, clock);
    return h.handle(OtlpRequest{ct, enc, body});
  }
};

/// The same request in both encodings: resource service.name/namespace, host.name, one error
/// record with trace and span ids, an attribute and a kvlist attribute.
std::string rich_protobuf() {
  otlp::Record r;
  r.time_ns = 1'700'000'000'123'000'000ULL;
  r.severity = 17;
  r.severity_text = "ERROR";
  r.body = otlp::str("payment failed for order 7");
  r.attrs = {otlp::kv("order.id", otlp::i64(7)), otlp::kv("http.retry", otlp::boolean(true)),
             otlp::kv("ctx", otlp::kvlist({otlp::kv("a", otlp::str("b"))}))};
  r.trace_id = kTrace;
  r.span_id = kSpan;
  return otlp::request({otlp::resource_logs(
      {otlp::kv("service.name", otlp::str("checkout")), otlp::kv("service.namespace", otlp::str("shop")),
       otlp::kv("host.name", otlp::str("node-1")), otlp::kv("k8s.pod.name", otlp::str("checkout-7d9"))},
      {otlp::scope_logs("io.acme.payments", {otlp::record(r)})})});
}

std::string rich_json() {
  return R"({"resourceLogs":[{"resource":{"attributes":[
      {"key":"service.name","value":{"stringValue":"checkout"}},
      {"key":"service.namespace","value":{"stringValue":"shop"}},
      {"key":"host.name","value":{"stringValue":"node-1"}},
      {"key":"k8s.pod.name","value":{"stringValue":"checkout-7d9"}}]},
    "scopeLogs":[{"scope":{"name":"io.acme.payments"},"logRecords":[{
      "timeUnixNano":"1700000000123000000","severityNumber":17,"severityText":"ERROR",
      "body":{"stringValue":"payment failed for order 7"},
      "attributes":[{"key":"order.id","value":{"intValue":"7"}},{"key":"http.retry","value":{"boolValue":true}},
                    {"key":"ctx","value":{"kvlistValue":{"values":[{"key":"a","value":{"stringValue":"b"}}]}}}],
      "traceId":"5B8EFEAD000102030405060708090A0B","spanId":"abcdef0102030405","unknownField":1}]}]}]})";
}

void check_rich(const OtlpOutcome& out) {
  CHECK(out.status == 200);
  CHECK(out.records == 1);
  CHECK(out.rejected == 0);
  CHECK(out.batch.dead_letters.empty());
  REQUIRE(out.batch.events.size() == 1);
  const LogEvent& e = out.batch.events[0];
  CHECK(e.message == "payment failed for order 7");
  CHECK(e.service == "shop/checkout");
  CHECK(e.host == "node-1");
  REQUIRE(e.level.has_value());
  CHECK(*e.level == Severity::error);
  CHECK(e.ts == 1'700'000'000'123);
  CHECK(e.source == "otlp");
  CHECK(label(e.labels, "trace_id") == kTraceHex);
  CHECK(label(e.labels, "span_id") == kSpanHex);
  CHECK(label(e.labels, "order_id") == "7");
  CHECK(label(e.labels, "http_retry") == "true");
  CHECK(label(e.labels, "ctx") == R"({"a":"b"})");
  CHECK(label(e.labels, "scope_name") == "io.acme.payments");
  CHECK(label(e.labels, "k8s_pod_name") == "checkout-7d9");
}

}  // namespace

TEST_CASE("otlp: protobuf and JSON of the same request give the same event, gzip or not") {
  Fixture f;
  check_rich(f.post(kProto, rich_protobuf()));
  check_rich(f.post(kJson, rich_json()));
  check_rich(f.post("application/x-protobuf; charset=binary", otlp::gzip(rich_protobuf()), "gzip"));
  check_rich(f.post("Application/JSON", otlp::gzip(rich_json()), "GZIP"));
  check_rich(f.post("application/protobuf", rich_protobuf(), "identity"));
}

TEST_CASE("otlp: the answer is an empty ExportLogsServiceResponse in the request's encoding") {
  Fixture f;
  auto p = f.post(kProto, rich_protobuf());
  CHECK(p.response_body().empty());
  CHECK(p.response_content_type() == "application/x-protobuf");
  auto j = f.post(kJson, rich_json());
  CHECK(j.response_body() == "{}");
  CHECK(j.response_content_type() == "application/json");
  auto empty = f.post(kProto, "");  // an empty request is valid and holds nothing
  CHECK(empty.status == 200);
  CHECK(empty.batch.empty());
}

TEST_CASE("otlp: severity_number ranges and severity_text map to levels") {
  struct Case {
    int number;
    const char* text;
    const char* level;
  };
  const std::vector<Case> cases = {{1, "", "debug"},    {8, "", "debug"},       {9, "", "info"},     {12, "", "info"},
                                   {13, "", "warning"}, {16, "", "warning"},    {17, "", "error"},   {20, "", "error"},
                                   {21, "", "critical"}, {24, "", "critical"},  {0, "WARN", "warning"},
                                   {0, "Error2", "error"}, {0, "fatal", "critical"}, {0, "", ""},    {99, "info", "info"},
                                   {0, "chatty", ""}};
  for (const auto& c : cases) {
    CAPTURE(c.number);
    CAPTURE(c.text);
    CHECK(detail::otlp_level(c.number, c.text) == c.level);
  }
  // And on the event: the SDK's text is not needed when the number is set.
  Fixture f;
  auto out = f.post(kProto, otlp::simple_request("api", {"disk almost full"}, 1'700'000'000'000'000'000ULL, 14));
  REQUIRE(out.batch.events.size() == 1);
  REQUIRE(out.batch.events[0].level.has_value());
  CHECK(*out.batch.events[0].level == Severity::warning);
}

TEST_CASE("otlp: service and host fall back to k8s attributes, unknown_service is replaced when k8s knows better") {
  struct Case {
    std::vector<std::string> attrs;
    const char* service;
    const char* host;
  };
  const std::vector<Case> cases = {
      {{otlp::kv("service.name", otlp::str("unknown_service:node")), otlp::kv("k8s.deployment.name", otlp::str("cart")),
        otlp::kv("k8s.node.name", otlp::str("n2"))},
       "cart", "n2"},
      {{otlp::kv("service.name", otlp::str("unknown_service:node"))}, "unknown_service:node", ""},
      {{otlp::kv("k8s.statefulset.name", otlp::str("db")), otlp::kv("k8s.pod.name", otlp::str("db-0"))}, "db", "db-0"},
      {{}, "unknown", ""},
  };
  Fixture f;
  for (const auto& c : cases) {
    CAPTURE(c.service);
    otlp::Record r;
    r.body = otlp::str("hello");
    auto out = f.post(kProto, otlp::request({otlp::resource_logs(c.attrs, {otlp::scope_logs("", {otlp::record(r)})})}));
    REQUIRE(out.batch.events.size() == 1);
    CHECK(out.batch.events[0].service == c.service);
    CHECK(out.batch.events[0].host == c.host);
    CHECK(out.batch.events[0].ts == f.clock.now_ms());  // no time, no observed time: received now
  }
}

TEST_CASE("otlp: a kvlist body gives its message field, the other fields become labels") {
  Fixture f;
  otlp::Record r;
  r.body = otlp::kvlist({otlp::kv("msg", otlp::str("cache miss")), otlp::kv("key", otlp::str("user:9")),
                         otlp::kv("ratio", otlp::dbl(0.5))});
  auto out = f.post(kProto, otlp::request({otlp::resource_logs({}, {otlp::scope_logs("", {otlp::record(r)})})}));
  REQUIRE(out.batch.events.size() == 1);
  CHECK(out.batch.events[0].message == "cache miss");
  CHECK(label(out.batch.events[0].labels, "key") == "user:9");
  CHECK(label(out.batch.events[0].labels, "ratio") == "0.5");
  // Without message/msg the whole kvlist is the message, as JSON.
  otlp::Record r2;
  r2.body = otlp::kvlist({otlp::kv("k", otlp::array({otlp::i64(1), otlp::str("x")}))});
  auto out2 = f.post(kProto, otlp::request({otlp::resource_logs({}, {otlp::scope_logs("", {otlp::record(r2)})})}));
  REQUIRE(out2.batch.events.size() == 1);
  CHECK(out2.batch.events[0].message == R"({"k":[1,"x"]})");
}

TEST_CASE("otlp: exception attributes become a trace text after the body") {
  Fixture f;
  const std::string stack = "TypeError: Cannot read properties of undefined (reading 'id')\n"
                            "    at handler (/app/src/cart.js:42:17)\n    at process (/app/src/queue.js:7:3)\n";
  otlp::Record r;
  r.severity = 17;
  r.body = otlp::str("request failed");
  r.attrs = {otlp::kv("exception.type", otlp::str("TypeError")),
             otlp::kv("exception.message", otlp::str("Cannot read properties of undefined (reading 'id')")),
             otlp::kv("exception.stacktrace", otlp::str(stack))};
  otlp::Record only_type;  // no stack trace: "type: message"
  only_type.attrs = {otlp::kv("exception.type", otlp::str("IOError")), otlp::kv("exception.message", otlp::str("disk full"))};
  otlp::Record same;  // the body is the first line of the stack: not repeated
  same.body = otlp::str("TypeError: Cannot read properties of undefined (reading 'id')");
  same.attrs = {otlp::kv("exception.stacktrace", otlp::str(stack))};
  auto out = f.post(kProto, otlp::request({otlp::resource_logs(
                                {}, {otlp::scope_logs("", {otlp::record(r), otlp::record(only_type), otlp::record(same)})})}));
  REQUIRE(out.batch.events.size() == 3);
  CHECK(out.batch.events[0].message == "request failed\n" + stack.substr(0, stack.size() - 1));
  CHECK(out.batch.events[0].lines == 4);
  CHECK(label(out.batch.events[0].labels, "exception_type").empty());  // consumed, not a label
  CHECK(out.batch.events[1].message == "IOError: disk full");
  CHECK(out.batch.events[2].message == stack.substr(0, stack.size() - 1));
}

TEST_CASE("otlp: a stack trace sent one record per line is stitched into one event") {
  Fixture f;
  auto out = f.post(kProto, otlp::simple_request("api", {"java.lang.IllegalStateException: cart is closed",
                                                         "\tat com.acme.Cart.add(Cart.java:42)",
                                                         "\tat com.acme.Api.handle(Api.java:7)", "served in 3 ms"}));
  CHECK(out.records == 4);
  REQUIRE(out.batch.events.size() == 2);
  CHECK(out.batch.events[0].lines == 3);
  CHECK(out.batch.events[1].message == "served in 3 ms");
}

TEST_CASE("otlp: attributes are bounded and values cut") {
  Fixture f;
  f.opts.config.max_attributes = 4;
  otlp::Record r;
  r.body = otlp::str("x");
  for (int i = 0; i < 50; ++i) r.attrs.push_back(otlp::kv("a" + std::to_string(i), otlp::str(std::string(5000, 'v'))));
  std::vector<std::string> res;
  for (int i = 0; i < 50; ++i) res.push_back(otlp::kv("r" + std::to_string(i), otlp::str("v")));
  auto out = f.post(kProto, otlp::request({otlp::resource_logs(res, {otlp::scope_logs("", {otlp::record(r)})})}));
  REQUIRE(out.batch.events.size() == 1);
  const auto& labels = out.batch.events[0].labels;
  CHECK(labels.size() <= 4 + 4 + 3);  // fields + resource labels + service/host/scope at most
  CHECK(label(labels, "a0").size() == 2048);
  CHECK(label(labels, "a10").empty());
}

TEST_CASE("otlp: records with bad ids are refused alone (partial success), kept re-encoded") {
  Fixture f;
  otlp::Record good;
  good.body = otlp::str("fine");
  otlp::Record bad_trace = good;
  bad_trace.trace_id = "12345";
  otlp::Record bad_span = good;
  bad_span.span_id = std::string(3, 'x');
  const std::string body = otlp::request({otlp::resource_logs(
      {otlp::kv("service.name", otlp::str("api"))},
      {otlp::scope_logs("s", {otlp::record(good), otlp::record(bad_trace), otlp::record(bad_span), otlp::record(good)})})});
  auto out = f.post(kProto, body);
  CHECK(out.status == 200);
  CHECK(out.partial());
  CHECK(out.records == 2);
  CHECK(out.rejected == 2);
  CHECK(out.batch.events.size() == 2);
  REQUIRE(out.batch.dead_letters.size() == 1);
  const DeadLetter& d = out.batch.dead_letters[0];
  CHECK(d.reason.rfind("bad_records: 2 of 4 log records refused", 0) == 0);
  CHECK(d.reason.find("trace_id must be 16 bytes, got 5") != std::string::npos);
  CHECK(d.content_type == "application/x-protobuf");
  // The dead letter holds the refused records only, with their resource: replaying it refuses both again.
  auto again = f.post(kProto, d.payload);
  CHECK(again.status == 400);
  CHECK(again.reject == OtlpReject::bad_records);
  CHECK(again.reason.rfind("all 2 log records refused", 0) == 0);
  // The response: ExportLogsServiceResponse{partial_success{rejected_log_records: 2, error_message}}.
  const std::string resp = out.response_body();
  detail::WireReader r(resp);
  std::uint32_t field = 0;
  int type = 0;
  REQUIRE(r.key(field, type));
  CHECK(field == 1);
  std::string_view ps;
  REQUIRE(r.bytes(ps));
  detail::WireReader pr(ps);
  REQUIRE(pr.key(field, type));
  CHECK(field == 1);
  std::uint64_t n = 0;
  REQUIRE(pr.varint(n));
  CHECK(n == 2);
  // JSON: the same, camelCase.
  const std::string jbody = R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[
      {"body":{"stringValue":"ok"}},{"body":{"stringValue":"bad"},"traceId":"xyz"}]}]}]})";
  auto jout = f.post(kJson, jbody);
  CHECK(jout.status == 200);
  CHECK(jout.rejected == 1);
  auto jr = json::parse(jout.response_body());
  CHECK(jr["partialSuccess"]["rejectedLogRecords"] == 1);
  CHECK(jr["partialSuccess"]["errorMessage"].get<std::string>().find("traceId must be 32 hex digits") != std::string::npos);
  REQUIRE(jout.batch.dead_letters.size() == 1);
  auto kept = json::parse(jout.batch.dead_letters[0].payload);
  CHECK(kept["resourceLogs"][0]["scopeLogs"][0]["logRecords"].size() == 1);
  CHECK(kept["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["traceId"] == "xyz");
}

TEST_CASE("otlp: bad bodies are refused with a status, a reason code and one dead letter") {
  struct Case {
    const char* name;
    std::string content_type;
    std::string body;
    std::string encoding;
    int status;
    OtlpReject code;
  };
  std::string deep = otlp::str("x");
  for (int i = 0; i < 40; ++i) deep = otlp::array({deep});
  otlp::Record deep_rec;
  deep_rec.body = deep;
  std::string deep_json = R"({"stringValue":"x"})";
  for (int i = 0; i < 40; ++i) deep_json = R"({"arrayValue":{"values":[)" + deep_json + "]}}";
  const std::string good = otlp::simple_request("api", {"a"});
  const std::vector<Case> cases = {
      {"truncated protobuf", kProto, good.substr(0, good.size() - 3), "", 400, OtlpReject::bad_protobuf},
      {"wrong wire type", kProto, std::string("\x08\x01", 2), "", 400, OtlpReject::bad_protobuf},
      {"group wire type", kProto, std::string("\x0b\x0c", 2), "", 400, OtlpReject::bad_protobuf},
      {"length past the end", kProto, std::string("\x0a\xff\xff\x03", 4), "", 400, OtlpReject::bad_protobuf},
      {"deep AnyValue", kProto,
       otlp::request({otlp::resource_logs({}, {otlp::scope_logs("", {otlp::record(deep_rec)})})}), "", 400,
       OtlpReject::bad_protobuf},
      {"invalid JSON", kJson, R"({"resourceLogs": [)", "", 400, OtlpReject::bad_json},
      {"JSON not an object", kJson, "[1,2]", "", 400, OtlpReject::bad_json},
      {"resourceLogs not an array", kJson, R"({"resourceLogs": 5})", "", 400, OtlpReject::bad_json},
      {"AnyValue not an object", kJson, R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":"x"}]}]}]})", "", 400,
       OtlpReject::bad_json},
      {"intValue not an integer", kJson,
       R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"intValue":"12a"}}]}]}]})", "", 400, OtlpReject::bad_json},
      {"deep JSON AnyValue", kJson,
       R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":)" + deep_json + "}]}]}]}", "", 400, OtlpReject::bad_json},
      {"no Content-Type", "", good, "", 415, OtlpReject::bad_content_type},
      {"text/plain", "text/plain", good, "", 415, OtlpReject::bad_content_type},
      {"unknown encoding", kProto, good, "br", 400, OtlpReject::bad_encoding},
      {"corrupt gzip", kProto, "\x1f\x8b garbage", "gzip", 400, OtlpReject::bad_compression},
      {"too large", kJson, std::string(2 << 20, ' '), "", 413, OtlpReject::too_large},
      {"all records bad", kJson, R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"spanId":"00ff"}]}]}]})", "", 400,
       OtlpReject::bad_records},
  };
  Fixture f;
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto out = f.post(c.content_type, c.body, c.encoding);
    CHECK(out.status == c.status);
    CHECK(out.reject == c.code);
    CHECK(out.batch.events.empty());
    REQUIRE(out.batch.dead_letters.size() == 1);
    const auto& d = out.batch.dead_letters[0];
    CHECK(d.reason.rfind(std::string(to_string(c.code)) + ": ", 0) == 0);
    CHECK(d.source == "otlp");
    CHECK(d.size == c.body.size());
    CHECK_FALSE(out.reason.empty());
    // The answer is a google.rpc.Status in the request's encoding.
    if (c.content_type == kJson) {
      auto st = json::parse(out.response_body());
      CHECK(st["code"] == 3);
      CHECK(st["message"] == out.reason.substr(0, 4096));
    }
  }
}

TEST_CASE("otlp: unknown protobuf fields and empty or zero ids are ignored, invalid UTF-8 is repaired") {
  Fixture f;
  otlp::Record r;
  r.body = otlp::str("caf\xc3 au lait");
  r.trace_id = std::string(16, '\0');
  std::string rec = otlp::record(r);
  detail::put_bytes(rec, 99, "future field");
  detail::put_key(rec, 98, detail::fixed32_type);
  rec.append(4, '\0');
  auto out = f.post(kProto, otlp::request({otlp::resource_logs({}, {otlp::scope_logs("", {rec})})}));
  REQUIRE(out.status == 200);
  REQUIRE(out.batch.events.size() == 1);
  CHECK(out.batch.events[0].message == "caf\xef\xbf\xbd au lait");
  CHECK(label(out.batch.events[0].labels, "trace_id").empty());
}
