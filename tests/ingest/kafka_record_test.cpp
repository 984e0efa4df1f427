// Decoding Kafka record values in the shapes shippers write (ingest/kafka_record.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <variant>

#include "ingest/kafka_record.hpp"

using namespace selfheal;
using namespace selfheal::ingest::kafka;

namespace {

RecordMeta meta() {
  RecordMeta m;
  m.source = "kafka";
  m.topic = "logs";
  m.partition = 2;
  m.offset = 17;
  m.kafka_ts = 1'700'000'000'500;
  m.now = 1'800'000'000'000;
  return m;
}

LogEvent event_of(const RecordDecoder& d, std::string_view value) {
  auto r = d.decode(value, meta());
  REQUIRE(std::holds_alternative<LogEvent>(r));
  return std::get<LogEvent>(r);
}

}  // namespace

TEST_CASE("text records are the whole line, with the Kafka timestamp") {
  RecordDecoder d;
  d.format = RecordFormat::text;
  auto e = event_of(d, "Nov 23 19:00:01 web-1 nginx[12]: upstream timed out\n");
  CHECK(e.message == "Nov 23 19:00:01 web-1 nginx[12]: upstream timed out");
  CHECK(e.ts == 1'700'000'000'500);
  CHECK(e.source == "kafka");
  CHECK(e.service == "unknown");
  // text mode never reads the value as a shipper's envelope (its time is not taken), but a JSON
  // log line is read as on every source: message and level from their fields
  auto j = event_of(d, R"({"message":"x","level":"warn","time":"2020-01-01T00:00:00Z"})");
  CHECK(j.message == "x");
  CHECK(j.ts == 1'700'000'000'500);
  CHECK(j.level == Severity::warning);
}

TEST_CASE("shipper shapes: where the line, time and fields are found") {
  RecordDecoder d;
  d.format = RecordFormat::json;
  struct Row {
    const char* shipper;
    const char* value;
    const char* message;
    UnixMs ts;
    const char* service;
    const char* host;
  };
  const Row rows[] = {
      {"Vector json codec", R"({"message":"disk full","timestamp":"2026-11-23T19:47:00.123Z","host":"n1","source_type":"file"})",
       "disk full", 1'795'463'220'123, "unknown", "n1"},
      {"Fluent Bit tail, double timestamp",
       R"({"@timestamp":1795463220.25,"log":"boom\n","kubernetes":{"pod_name":"api-7","container_name":"api","labels":{"app":"checkout"}}})",
       "boom", 1'795'463'220'250, "unknown", ""},
      {"Filebeat", R"({"@timestamp":"2026-11-23T19:47:00.000Z","message":"GET /x 500","host":{"name":"fb-1"},"service":"gw"})",
       "GET /x 500", 1'795'463'220'000, "gw", ""},
      {"systemd via Fluent Bit", R"({"MESSAGE":"unit failed","_HOSTNAME":"h2","SYSLOG_IDENTIFIER":"cron"})", "unit failed",
       1'700'000'000'500, "unknown", ""},
      {"msg field, epoch ms", R"({"msg":"slow query","ts":1795463220999,"app":"db","level":"warn"})", "slow query",
       1'795'463'220'999, "db", ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.shipper);
    auto e = event_of(d, r.value);
    CHECK(e.message == r.message);
    CHECK(e.ts == r.ts);
    CHECK(e.service == r.service);
    CHECK(e.host == r.host);
  }
  auto fb = event_of(d, rows[1].value);
  CHECK(label(fb.labels, "pod_name") == "api-7");
  CHECK(label(fb.labels, "labels_app") == "checkout");
  auto lv = event_of(d, rows[4].value);
  REQUIRE(lv.level);
  CHECK(*lv.level == Severity::warning);
  CHECK(std::is_sorted(fb.labels.begin(), fb.labels.end()));
}

TEST_CASE("configured field mapping wins over the defaults") {
  RecordDecoder d;
  d.format = RecordFormat::json;
  d.fields.message_fields = {"payload.text"};
  d.fields.timestamp_fields = {"when"};
  d.fields.service_field = "meta.svc";
  d.fields.host_field = "host.name";
  d.fields.level_field = "sev";
  auto e = event_of(d, R"({"payload":{"text":"E42 failed"},"message":"not me","when":"2026-11-23T19:47:00Z",
                            "meta":{"svc":"billing"},"host":{"name":"h9"},"sev":"ERROR"})");
  CHECK(e.message == "E42 failed");
  CHECK(e.ts == 1'795'463'220'000);
  CHECK(e.service == "billing");
  CHECK(e.host == "h9");
  REQUIRE(e.level);
  CHECK(*e.level == Severity::error);
}

TEST_CASE("bad JSON is a dead letter in json mode and a text line in auto mode") {
  RecordDecoder d;
  d.format = RecordFormat::json;
  const std::string bad = R"({"message": "unterminated)";
  auto r = d.decode(bad, meta());
  REQUIRE(std::holds_alternative<DeadLetter>(r));
  const auto& dl = std::get<DeadLetter>(r);
  CHECK(dl.reason.find("bad_json") == 0);
  CHECK(dl.reason.find("logs:2@17") != std::string::npos);
  CHECK(dl.payload == bad);
  CHECK(dl.size == bad.size());
  CHECK(dl.source == "kafka");
  d.format = RecordFormat::auto_detect;
  CHECK(event_of(d, bad).message == bad);
  CHECK(event_of(d, "plain line").message == "plain line");
  CHECK(event_of(d, R"(  {"log":"json after spaces"})").message == "json after spaces");
}

TEST_CASE("records over max_record_bytes are dead letters with the first bytes kept") {
  RecordDecoder d;
  d.format = RecordFormat::text;
  d.max_record_bytes = 1024;
  const std::string big(100'000, 'x');
  auto r = d.decode(big, meta());
  REQUIRE(std::holds_alternative<DeadLetter>(r));
  const auto& dl = std::get<DeadLetter>(r);
  CHECK(dl.reason.find("too_large") == 0);
  CHECK(dl.size == 100'000);
  CHECK(dl.payload.size() < big.size());
}

TEST_CASE("JSON without a known line field keeps the whole value; non-object JSON values too") {
  RecordDecoder d;
  d.format = RecordFormat::json;
  CHECK(event_of(d, R"({"event":"login","user":"u1"})").message == R"({"event":"login","user":"u1"})");
  CHECK(event_of(d, R"("just a string")").message == "just a string");
  CHECK(event_of(d, "42").message == "42");
}

TEST_CASE("labels are bounded and values capped") {
  RecordDecoder d;
  d.format = RecordFormat::json;
  d.fields.max_labels = 3;
  std::string v = R"({"message":"m")";
  for (int i = 0; i < 10; ++i) v += ",\"k" + std::to_string(i) + "\":\"" + std::string(5000, 'v') + "\"";
  v += "}";
  auto e = event_of(d, v);
  CHECK(e.labels.size() == 3);
  for (const auto& [k, val] : e.labels) CHECK(val.size() <= 1024);
}

TEST_CASE("epoch numbers of any unit become milliseconds") {
  CHECK(epoch_number_to_ms(1'795'463'220.25) == 1'795'463'220'250);
  CHECK(epoch_number_to_ms(1'795'463'220'250.0) == 1'795'463'220'250);
  CHECK(epoch_number_to_ms(1'795'463'220'250'000.0) == 1'795'463'220'250);
  CHECK(epoch_number_to_ms(1.795463220250e18) == 1'795'463'220'250);
}

TEST_CASE("an application's own JSON line on Kafka keeps its error: message, then the stack trace") {
  // pino straight to Kafka (no shipper envelope): msg alone would lose err.stack.
  for (auto format : {RecordFormat::json, RecordFormat::auto_detect, RecordFormat::text}) {
    RecordDecoder d;
    d.format = format;
    CAPTURE(static_cast<int>(format));
    auto e = event_of(d, R"({"level":50,"time":1700000000000,"hostname":"web-1","msg":"payment failed",)"
                         R"x("err":{"type":"Error","message":"boom","stack":"Error: boom\n    at charge (/srv/app/pay.js:4:9)"}})x");
    CHECK(e.message == "payment failed\nError: boom\n    at charge (/srv/app/pay.js:4:9)");
    REQUIRE(e.level);
    CHECK(*e.level == Severity::error);
    CHECK(e.host == "web-1");
    for (const auto& [k, v] : e.labels) CHECK(k != "err");  // the error is in the message, not a label
  }
  // A shipper's envelope holding such a line (Fluent Bit tail "log") is read the same way.
  RecordDecoder d;
  d.format = RecordFormat::json;
  auto e = event_of(d, R"({"log":"{\"level\":\"warn\",\"msg\":\"slow query\",\"ms\":912}\n","kubernetes":{"pod_name":"api-1"}})");
  CHECK(e.message == "slow query");
  REQUIRE(e.level);
  CHECK(*e.level == Severity::warning);
  CHECK(label(e.labels, "ms") == "912");
}
