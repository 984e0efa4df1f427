// Issue 15 acceptance 4 (terminals and logs): control characters in log text, labels, LLM answers
// and stored names never reach a terminal or a log line raw. The real CLI binary runs against a real
// `selfheal serve`, and its stdout bytes are checked; so are the server's own log lines. Names with
// control characters are refused with a 400 (API) or a config error (exit 2).
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/contract/fake_llm_server.hpp"
#include "tests/integration/healer_support.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace selfheal::healer_it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Clear screen, an OSC 8 hyperlink, a carriage return, a bell, DEL and the 8-bit CSI (U+009B).
const std::string evil = "\x1b[2J\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ over\rwrite\x07 del\x7f \xc2\x9b" "31m";
const std::string evil_service = "\x1b[31mpay";

/// The first byte a terminal would act on, or "" when the output is safe: no C0 control but the
/// newline and the tab (the CLI's own column separator), no DEL, no C1 control (UTF-8 C2 80..9F).
std::string first_control(const std::string& out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    const bool c1 = c == 0xC2 && i + 1 < out.size() && static_cast<unsigned char>(out[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(out[i + 1]) <= 0x9F;
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F || c1) {
      std::ostringstream s;
      s << "byte 0x" << std::hex << static_cast<int>(c) << " at " << std::dec << i << " in: " << out.substr(0, 300);
      return s.str();
    }
  }
  return {};
}

test::RunResult cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {test::selfheal_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run(argv);
}

}  // namespace

TEST_CASE("acceptance 4: control characters never reach a terminal raw (top, show, dead-letters, approvals, review) "
          "nor a server log line") {
  test::TempDir dir;
  test::FakeLlmServer llm(test::LlmWire::openai);
  llm.set_default({200,
                   llm.answer(json{{"summary", "Restart " + evil + " the pool"},
                                   {"root_cause", "pool\r\x1b[1Aexhausted"},
                                   {"suggested_fix", "raise max_connections"},
                                   {"evidence", {"payment failed"}},
                                   {"confidence", 0.6}}
                                  .dump()),
                   {}});
  const std::string config = dir.file("selfheal.yaml");
  test::write_file(config, header("  strategies:\n"
                                  "    - name: needs-a-person\n"
                                  "      match: {message_regex: 'payment failed'}\n"
                                  "      requires_approval: true\n"
                                  "      actions: [{type: exec, argv: [/bin/true]}]\n") +
                               "llm:\n"
                               "  enabled: true\n"
                               "  provider: {type: openai, base_url: '" + llm.base_url() + "/v1', model: m}\n");
  test::ServeProcess serve(dir.path().string(), config);

  // A log line and a service label full of escape sequences, through the Loki push API.
  json values = json::array({json::array({std::to_string(now_ns()), "ERROR payment failed " + evil})});
  json stream = {{"stream", {{"service", evil_service}, {"level", "error"}}}, {"values", values}};
  REQUIRE(test::http_post(serve.base_url(), "/loki/api/v1/push", json{{"streams", {stream}}}.dump()).status == 204);
  // A push refused for a label name with escape sequences: a dead letter whose reason quotes it, and
  // a server log line that quotes it too.
  json bad = {{"stream", {{"bad\x1b[2Jname", "x"}}}, {"values", values}};
  REQUIRE(test::http_post(serve.base_url(), "/loki/api/v1/push", json{{"streams", {bad}}}.dump()).status == 400);

  std::string id;
  REQUIRE(test::wait_until([&] {
    auto list = get_json(serve, "/api/v1/fingerprints");
    if (list["fingerprints"].empty()) return false;
    id = list["fingerprints"][0]["id"];
    return true;
  }));
  REQUIRE(test::wait_until([&] { return !get_json(serve, "/api/v1/approvals")["approvals"].empty(); }));
  REQUIRE(test::http_post(serve.base_url(), "/api/v1/fingerprints/" + id + "/suggest", "{}").status == 202);
  REQUIRE(test::wait_until([&] { return !get_json(serve, "/api/v1/suggestions")["items"].empty(); }));

  const auto approval_id = std::to_string(get_json(serve, "/api/v1/approvals")["approvals"][0]["id"].get<int>());
  // Names in request bodies (by, who, requested_by) are ignored: the actor is the token's name
  // (auth_test.cpp checks the rows), so a control character there reaches nothing. Unknown ids
  // keep this test's state; the answer is the route's own 404, not a refusal of the name.
  for (const auto& row_ : std::vector<std::pair<std::string, json>>{
           {"/api/v1/approvals/999999/reject", {{"by", "ops\x1b[2J"}}},
           {"/api/v1/fingerprints/00000000000000ff/resolve", {{"by", "alice\nFAKE LOG LINE"}}},
           {"/api/v1/suggestions/999999/accept", {{"who", "bob\r"}}},
           {"/api/v1/fingerprints/00000000000000ff/suggest", {{"requested_by", "eve\x07"}}}}) {
    const auto& path = std::get<0>(row_);  // no structured binding: clang 14 cannot capture one
    const auto& body = std::get<1>(row_);
    CAPTURE(path);
    auto r = test::http_post(serve.base_url(), path, body.dump());
    CHECK(r.status == 404);
  }
  // A name an older version stored raw (written straight into the database) is escaped on output.
  {
    SQLite::Database db(dir.file("selfheal.db"), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    SQLite::Statement q(db, "UPDATE approvals SET decided_by = ? WHERE id = ?");
    q.bind(1, "old\x1b[2Jname");
    q.bind(2, std::stoi(approval_id));
    REQUIRE(q.exec() == 1);
  }

  struct Surface {
    const char* name;
    std::vector<std::string> args;
  };
  const std::string url = serve.base_url();
  const Surface surfaces[] = {
      {"top", {"top", "--server", url}},
      {"show", {"show", id, "--server", url}},
      {"dead-letters list", {"dead-letters", "list", "--server", url}},
      {"approvals", {"approvals", "--status", "all", "--server", url}},
      {"review list", {"review", "--server", url, "list"}},
  };
  for (const auto& s : surfaces) {
    CAPTURE(s.name);
    auto r = cli(s.args);
    CAPTURE(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_MESSAGE(first_control(r.out).empty(), first_control(r.out));
    CHECK_MESSAGE(r.out.find("\\x1b[") != std::string::npos, r.out);  // the text is there, made visible
  }
  // --json stays JSON: the same text, JSON-escaped, parses back to the original.
  auto j = cli({"show", id, "--server", url, "--json"});
  REQUIRE(j.exit_code == 0);
  CHECK(json::parse(j.out)["services"][0]["name"] == evil_service);

  // The server's own log lines quote the refused label name escaped.
  const std::string log = serve.log();
  CHECK_MESSAGE(first_control(log).empty(), first_control(log));
  CHECK(log.find("bad\\x1b[2Jname") != std::string::npos);
  serve.stop();
}

TEST_CASE("json log lines stay valid JSON when they quote log text with quotes and control characters") {
  test::TempDir dir;
  const std::string config = dir.file("selfheal.yaml");
  test::write_file(config, "log: {format: json}\n");
  test::ServeProcess serve(dir.path().string(), config);
  json values = json::array({json::array({std::to_string(now_ns()), "x"})});
  json bad = {{"stream", {{"bad\"quote\x1b[2J\nname", "x"}}}, {"values", values}};
  REQUIRE(test::http_post(serve.base_url(), "/loki/api/v1/push", json{{"streams", {bad}}}.dump()).status == 400);
  REQUIRE(test::wait_until([&] { return serve.log().find("Rejected a Loki push") != std::string::npos; }));
  serve.stop();
  std::istringstream lines(serve.log());
  std::string line;
  int n = 0;
  bool quoted = false;
  while (std::getline(lines, line)) {
    CAPTURE(line);
    auto doc = json::parse(line, nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    ++n;
    const std::string msg = doc["msg"];
    quoted = quoted || msg.find("bad\"quote\\x1b[2J\\nname") != std::string::npos;
  }
  CHECK(n >= 3);
  CHECK(quoted);
}

TEST_CASE("a strategy, action or channel name with a control character is a config error") {
  test::TempDir dir;
  const std::string config = dir.file("bad.yaml");
  test::write_file(config,
                   "healer:\n"
                   "  notify:\n"
                   "    channels:\n"
                   "      - {name: \"ops\\e[2J\", url: 'http://127.0.0.1:9/x', levels: [warning]}\n"
                   "  strategies:\n"
                   "    - name: \"restart\\napi\"\n"
                   "      actions: [{type: exec, name: \"run\\r\", argv: [/bin/true]}]\n");
  auto r = cli({"config", "check", "-c", config});
  CAPTURE(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("bad.yaml:4:") != std::string::npos);
  CHECK(r.err.find("bad.yaml:6:") != std::string::npos);
  CHECK(r.err.find("must not contain control characters") != std::string::npos);
  CHECK(first_control(r.err).empty());
}

TEST_CASE("the CLI refuses a --by or --who name with control characters before it writes anything") {
  test::TempDir dir;
  auto approve = cli({"approve", "1", "--by", "ops\x1b[2J", "--data-dir", dir.path().string()});
  CHECK(approve.exit_code == 2);
  CHECK(approve.err.find("--by must not contain control characters") != std::string::npos);
  CHECK(first_control(approve.err).empty());
  auto review = cli({"review", "--server", "http://127.0.0.1:9", "accept", "1", "--who", "bob\nroot"});
  CHECK(review.exit_code == 2);
  CHECK(review.err.find("--who must not contain control characters") != std::string::npos);
  CHECK(first_control(review.err).empty());
}
