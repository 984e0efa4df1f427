// Events as shippers send them (issue 12): header-less lines are not glued to an earlier error,
// a trace still stitches in every language and source mode, level prefixes and structured
// (JSON / logfmt) lines give the id of the message a person reads.
#include <doctest/doctest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fingerprint/fingerprint.hpp"
#include "fingerprint/normalize.hpp"
#include "fingerprint/stitcher.hpp"
#include "fingerprint/structured.hpp"
#include "tests/fingerprint/test_data.hpp"

namespace fp = selfheal::fingerprint;
using fp::test::fixture;
using fp::test::lines_of;

namespace {

// Byte stream (file, stdin): one push per line. Entries (Loki push, Kafka): one push per entry.
std::vector<fp::StitchedEvent> stitch(const std::vector<std::string>& pushes, bool entries) {
  fp::StitchOptions o;
  o.entries = entries;
  return fp::test::stitch_lines(pushes, o);
}

const std::vector<std::string> reproduction = {
    "Error: connect ECONNREFUSED 127.0.0.1:5432", "GET /health 200 3ms", "user alice logged in",
    "GET /api/users 500 12ms", "Error: connect ECONNREFUSED 127.0.0.1:5432", "worker 3 finished job 17"};

const char* const trace_files[] = {"traces/java_caused_by.txt", "traces/python_chained.txt", "traces/go_panic.txt",
                                   "traces/node_type_error.txt", "traces/dotnet_inner.txt", "traces/ruby34.txt",
                                   "traces/ruby_old.txt",        "traces/php_uncaught.txt"};

}  // namespace

TEST_CASE("the reproduction: header-less lines after an error are events of their own, both errors one id") {
  for (bool entries : {false, true}) {
    CAPTURE(entries);
    auto events = stitch(reproduction, entries);
    REQUIRE(events.size() == 6);
    fp::Engine engine;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < events.size(); ++i) {
      CHECK(events[i].text == reproduction[i]);
      CHECK(events[i].lines == 1);
      ids.push_back(engine.compute(events[i].text).id);
    }
    CHECK(ids[0] == ids[4]);
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 4);  // the GET lines share a template
  }
}

TEST_CASE("the file variant: an error line after an INFO line is not glued to it when no frame follows") {
  for (bool entries : {false, true}) {
    CAPTURE(entries);
    auto events = stitch({"2026-12-03T12:00:00.000Z INFO ok", "Error: connect ECONNREFUSED 127.0.0.1:5432"}, entries);
    REQUIRE(events.size() == 2);
    CHECK(events[0].text == "2026-12-03T12:00:00.000Z INFO ok");
    CHECK(events[1].text == "Error: connect ECONNREFUSED 127.0.0.1:5432");
    // ... and the next header closes it just the same.
    events = stitch({"2026-12-03T12:00:00.000Z INFO ok", "Error: connect ECONNREFUSED 127.0.0.1:5432",
                     "2026-12-03T12:00:01.000Z INFO next"},
                    entries);
    CHECK(events.size() == 3);
  }
}

TEST_CASE("every language's trace stays one event between plain lines, as a byte stream and as entries") {
  for (const char* f : trace_files) {
    const std::string trace = fixture(f);
    const auto tl = lines_of(trace);
    for (bool entries : {false, true}) {
      CAPTURE(f);
      CAPTURE(entries);
      // Without headers: plain lines around the trace stay single events.
      std::vector<std::string> in = {"GET /health 200 3ms"};
      in.insert(in.end(), tl.begin(), tl.end());
      in.insert(in.end(), {"user alice logged in", "worker 3 finished job 17"});
      auto events = stitch(in, entries);
      REQUIRE(events.size() == 4);
      CHECK(events[1].text == trace);
      CHECK(events[2].text == "user alice logged in");
      // With a header line before the trace: the trace belongs to it.
      std::vector<std::string> with_header = {"2026-12-03 12:00:00,123 ERROR [main] app - request failed"};
      with_header.insert(with_header.end(), tl.begin(), tl.end());
      with_header.push_back("2026-12-03 12:00:01,000 INFO [main] app - next");
      events = stitch(with_header, entries);
      REQUIRE(events.size() == 2);
      CHECK(events[0].lines == tl.size() + 1);
    }
  }
}

TEST_CASE("a multi-line exception message still joins its frames; without frames its lines stay apart") {
  const std::vector<std::string> msg = {"junit.framework.ComparisonFailure: expected:<a", "b]> but was:<c", "",
                                        "d]>", "\tat junit.framework.Assert.assertEquals(Assert.java:100)"};
  for (bool entries : {false, true}) {
    CAPTURE(entries);
    auto events = stitch(msg, entries);
    REQUIRE(events.size() == 1);
    CHECK(events[0].lines == 5);
    // The same lines with no frame after them: four events (the blank line is dropped).
    events = stitch({msg[0], msg[1], msg[2], msg[3], "next"}, entries);
    CHECK(events.size() == 4);
  }
}

TEST_CASE("entries: an entry holding several lines is one event; entries glue only on trace shapes") {
  auto events = stitch({"2026-12-03 12:00:00 INFO a", "continued text", "Error: x\n    at f (/app/a.js:1:1)",
                        "    at g (/app/b.js:2:2)", "plain"},
                       true);
  REQUIRE(events.size() == 4);
  CHECK(events[0].text == "2026-12-03 12:00:00 INFO a");  // no header-to-header mode across entries
  CHECK(events[1].text == "continued text");
  CHECK(events[2].text == "Error: x\n    at f (/app/a.js:1:1)\n    at g (/app/b.js:2:2)");
  CHECK(events[3].text == "plain");
  // A byte stream with headers keeps cutting header to header.
  events = stitch({"2026-12-03 12:00:00 INFO a", "continued text", "2026-12-03 12:00:01 INFO b"}, false);
  REQUIRE(events.size() == 2);
  CHECK(events[0].text == "2026-12-03 12:00:00 INFO a\ncontinued text");
}

TEST_CASE("held lines are bounded: past max_held_lines each line is its own event") {
  std::vector<std::string> in = {"java.lang.IllegalStateException: x"};
  for (int i = 0; i < 40; ++i) in.push_back("plain " + std::to_string(i));
  auto events = stitch(in, false);
  CHECK(events.size() == 41);
  fp::Stitcher s;
  std::vector<fp::StitchedEvent> out;
  s.push("s", "Error: a", 1, out);
  s.push("s", "GET / 200", 2, out);
  CHECK(out.empty());  // kept back: a frame may still come
  CHECK(s.pending() == 1);
  s.flush_expired(2 + fp::StitchOptions{}.max_wait_ms, out);
  CHECK(out.size() == 2);
  CHECK(s.pending() == 0);
}

TEST_CASE("level prefixes: five shapes of one line give one id, and the header knows its level") {
  struct Row {
    const char* line;
    const char* level;
  };
  const Row rows[] = {
      {"ERROR connection to db-1 refused after 3 tries", "ERROR"},
      {"[ERROR] connection to db-1 refused after 3 tries", "ERROR"},
      {"level=error msg=\"connection to db-1 refused after 3 tries\"", ""},
      {"E1203 12:00:00.000000     123 pool.go:10] connection to db-1 refused after 3 tries", "E"},
      {"2026-12-03T12:00:00.000Z ERROR connection to db-1 refused after 3 tries", "ERROR"},
      {"[error] connection to db-1 refused after 3 tries", "error"},
      {"2026-12-03 12:00:00,123 ERROR [main] pool - connection to db-1 refused after 3 tries", "ERROR"},
  };
  fp::Engine engine;
  const std::string id = engine.compute(rows[0].line).id;
  for (const auto& r : rows) {
    CAPTURE(r.line);
    auto f = engine.compute(r.line);
    CHECK(f.id == id);
    CHECK(f.template_text == "connection to <*> refused after <*> tries");
    CHECK(fp::header_level(r.line) == r.level);
  }
  // Not level prefixes: a shouted sentence, an exception type, lower-case words without brackets.
  for (const char* keep : {"ERROR IN CONTACTING RM.", "Error: connect ECONNREFUSED", "error: Received disconnect",
                           "INFO", "Infosys ERROR", "E1203 no time here"}) {
    CAPTURE(keep);
    CHECK(fp::strip_header(keep) == keep);
    CHECK(fp::header_level(keep).empty());
  }
}

TEST_CASE("structured lines: message, level, error and bounded fields from each logger's shape") {
  struct Row {
    const char* file;
    fp::LineFormat format;
    const char* message;
    const char* level;
    const char* error_type;
    bool has_stack;
    const char* field;
  };
  const Row rows[] = {
      {"structured/pino.json", fp::LineFormat::json, "payment failed", "error", "Error", true, "hostname"},
      {"structured/winston.json", fp::LineFormat::json, "connect ECONNREFUSED 10.1.2.3:5432", "error", "", true, "service"},
      {"structured/bunyan.json", fp::LineFormat::json, "payment failed", "error", "Error", true, "name"},
      {"structured/zap.json", fp::LineFormat::json, "payment failed", "error", "", false, "caller"},
      {"structured/logrus.json", fp::LineFormat::json, "payment failed", "error", "", false, "order"},
      {"structured/logfmt.txt", fp::LineFormat::logfmt, "payment failed", "error", "", false, "order"},
      {"structured/python_json.json", fp::LineFormat::json, "invoice failed", "error", "", true, "name"},
      {"structured/logback_json.json", fp::LineFormat::json, "order load failed", "error", "", true, "logger_name"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.file);
    std::string line = fixture(r.file);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    auto s = fp::parse_structured(line);
    CHECK(s.format == r.format);
    CHECK(s.message == r.message);
    CHECK(s.level == r.level);
    CHECK(s.error_type == r.error_type);
    CHECK(s.error_stack.empty() == !r.has_stack);
    bool found = false;
    for (const auto& [k, v] : s.fields) {
      found = found || k == r.field;
      CHECK(k != "time");  // timestamps and the message are not fields
      CHECK(k != "msg");
    }
    CHECK(found);
    CHECK(s.fields.size() <= fp::StructuredOptions{}.max_fields);
  }
}

TEST_CASE("structured lines: a stack trace in a JSON string is a trace; pino, Bunyan and winston group by type + app frame") {
  fp::Engine engine;
  auto line = [](const char* f) {
    std::string s = fixture(f);
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  };
  auto pino = engine.compute(line("structured/pino.json"));
  auto winston = engine.compute(line("structured/winston.json"));
  auto bunyan = engine.compute(line("structured/bunyan.json"));
  CHECK(pino.exception_type == "Error");
  REQUIRE_FALSE(pino.frames.empty());
  CHECK(pino.frames[0].module == "payment.js");
  CHECK(pino.id == winston.id);  // other host, path, port and line numbers: same bug
  CHECK(pino.id == bunyan.id);
  auto py = engine.compute(line("structured/python_json.json"));
  CHECK(py.exception_type == "ZeroDivisionError");
  auto java = engine.compute(line("structured/logback_json.json"));
  CHECK(java.exception_type == "java.lang.IllegalStateException");
  // A different app frame is a different bug.
  std::string other = line("structured/pino.json");
  other.replace(other.find("PaymentClient.charge (/srv/app/src/payment.js"), 46, "Ledger.post (/srv/app/src/ledger.js");
  CHECK(engine.compute(other).id != pino.id);
  // Without a stack: the message groups (zap and logrus write the same line); the error's free
  // text is a value of the statement, like a printf argument, so another error text is the same id.
  auto zap = engine.compute(line("structured/zap.json"));
  auto logrus = engine.compute(line("structured/logrus.json"));
  CHECK(zap.id == logrus.id);
  CHECK(zap.template_text.find("payment failed") == 0);
  CHECK(zap.template_text.find("connection refused") == std::string::npos);
  std::string zap2 = line("structured/zap.json");
  zap2.replace(zap2.find("connection refused"), 18, "i/o timeout");
  CHECK(engine.compute(zap2).id == zap.id);
}

TEST_CASE("structured detection: plain lines stay plain; JSON without a message or error stays raw") {
  for (const char* plain : {"GET /health 200 3ms", "user=alice logged in", "a=b", "{not json", "{\"a\":1}",
                            "[{\"msg\":\"x\"}]", "x=1 y=\"unterminated", "key=value key2=value2", ""}) {
    CAPTURE(plain);
    CHECK(fp::parse_structured(plain).format == fp::LineFormat::plain);
  }
  fp::Engine engine;
  CHECK(engine.compute("{\"a\":1}").template_text == fp::Engine().compute("{\"a\":1}").template_text);
  CHECK(fp::sniff_format("  {\"msg\":\"x\"}") == fp::LineFormat::json);
  CHECK(fp::sniff_format("level=info msg=x") == fp::LineFormat::logfmt);
  CHECK(fp::sniff_format("Connection closed") == fp::LineFormat::plain);
  // Escapes and nesting are read, and bounds hold.
  auto s = fp::parse_structured(R"({"msg":"a \"quoted\" \u00e9 word","ctx":{"user":{"id":7,"name":"x"}},"list":[1,2]})");
  CHECK(s.message == "a \"quoted\" \xc3\xa9 word");
  REQUIRE(s.fields.size() == 2);
  CHECK(s.fields[0] == std::pair<std::string, std::string>{"ctx.user.id", "7"});
  std::string many = "{\"msg\":\"m\"";
  for (int i = 0; i < 100; ++i) many += ",\"k" + std::to_string(i) + "\":\"" + std::string(1000, 'v') + "\"";
  many += "}";
  s = fp::parse_structured(many);
  CHECK(s.fields.size() == fp::StructuredOptions{}.max_fields);
  CHECK(s.fields[0].second.size() == fp::StructuredOptions{}.max_value_bytes);
}

TEST_CASE("Ruby 3.4 and older Rubies give one id for the same bug; another bug keeps its own") {
  fp::Engine engine;
  const auto new_style = engine.compute(fixture("traces/ruby34.txt"));
  const auto old_style = engine.compute(fixture("traces/ruby_old.txt"));
  CHECK(new_style.id == old_style.id);
  CHECK(new_style.exception_type == "ZeroDivisionError");
  // Every ZeroDivisionError of an app is not one bug: the app frame after Integer#/ decides.
  const auto elsewhere = engine.compute(
      "app/models/invoice.rb:9:in 'Integer#/': divided by 0 (ZeroDivisionError)\n"
      "\tfrom app/models/invoice.rb:9:in 'Invoice#share'\n");
  CHECK(elsewhere.id != new_style.id);
}

TEST_CASE("an indented plain line continues a trace, never a plain line") {
  for (bool entries : {false, true}) {
    CAPTURE(entries);
    // Inside a trace: an indented detail line before the frames (and Rust-style numbered frames).
    auto events = stitch({"java.lang.IllegalStateException: batch failed", "    caused while loading order 7",
                          "\tat com.acme.Loader.run(Loader.java:10)", "next"},
                         entries);
    REQUIRE(events.size() == 2);
    CHECK(events[0].lines == 3);
    // After a plain line: its own event (HealthApp's " getTodayTotalDetailSteps = ..." lines).
    events = stitch({"flush sensor data", " getTodayTotalDetailSteps = 1514038440000##6993", "  more = 2"}, entries);
    CHECK(events.size() == 3);
  }
}
