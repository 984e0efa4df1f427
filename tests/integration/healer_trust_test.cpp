// Issue 14 ("a healer you can trust at 3 a.m.") and issue 15 item 1 (argument injection), each against
// the real `selfheal serve`: Loki pushes in, a real recording script (a real process, argv captured,
// no shell) and a real local webhook receiver (cpp-httplib) out. No mocks.
#include <doctest/doctest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "tests/integration/healer_support.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace selfheal::healer_it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

/// Several streams in ONE push (one commit): {service, host, message, n}.
struct Stream {
  std::string service, host, message;
  int n = 1;
};
void push_streams(const test::ServeProcess& serve, const std::vector<Stream>& streams) {
  json arr = json::array();
  auto t = now_ns();
  for (const auto& s : streams) {
    json values = json::array();
    for (int i = 0; i < s.n; ++i) values.push_back({std::to_string(t++), s.message + " request=" + std::to_string(i)});
    arr.push_back({{"stream", {{"service", s.service}, {"host", s.host}, {"level", "error"}}}, {"values", values}});
  }
  auto r = test::http_post(serve.base_url(), "/loki/api/v1/push", json{{"streams", arr}}.dump(), "application/json");
  REQUIRE(r.status == 204);
}

std::vector<json> bodies(Receiver& r, const std::string& kind) {
  return r.bodies_with("kind", kind);
}

std::int64_t metric(const test::ServeProcess& serve, const std::string& series) {
  const auto text = test::http_get(serve.base_url(), "/metrics").body;
  const auto at = text.find(series + " ");
  if (at == std::string::npos) return 0;
  return std::stoll(text.substr(at + series.size() + 1));
}

/// Every run has finished (the recorder writes its line before the run's outcome is recorded, and
/// a run still in flight on a target makes the next decision there a `concurrency` skip).
bool settled(const test::ServeProcess& serve) {
  for (const auto& r : runs(serve, "&decision=ran"))
    if (r["outcome"] == "running") return false;
  return true;
}

bool is_rfc3339(const std::string& s) {
  static const std::regex re(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)");
  return std::regex_match(s, re);
}

}  // namespace

TEST_CASE_FIXTURE(Scene, "defect 1: the action runs on the triggering events' own service and host, per service") {
  const std::string config =
      write_config(dir, header() + strategies({{"fix-payments",
                                                "service: payments, message_regex: 'upstream returned'",
                                                {rec.exec({"payments-fix", "{service}"})},
                                                kNoGuards,
                                                {"priority: 10"}},
                                               {"restart-any",
                                                "message_regex: 'upstream returned'",
                                                {rec.exec({"restart", "{service}", "{host}", "{target}"})},
                                                kNoGuards,
                                                {"priority: 20"}}}));
  test::ServeProcess serve(dir.file("data"), config);
  const std::string msg = "ERROR upstream returned 503";
  push(serve, "payments", msg, 10, "", "pay-1");
  REQUIRE(test::wait_until([&] { return rec.lines().size() == 1 && settled(serve); }, 15s));
  CHECK(rec.lines()[0] == "|payments-fix|payments");
  // The same fingerprint from checkout (more events than payments ever had), then from search.
  push(serve, "checkout", msg, 30, "", "co-7");
  REQUIRE(test::wait_until([&] { return rec.lines().size() == 2 && settled(serve); }, 15s));
  CHECK(rec.lines()[1] == "|restart|checkout|co-7|checkout");
  push(serve, "search", msg, 5, "", "se-2");
  REQUIRE(test::wait_until([&] { return rec.lines().size() == 3 && settled(serve); }, 15s));
  CHECK(rec.lines()[2] == "|restart|search|se-2|search");
  // One commit with two services: two decisions, each about its own events.
  push_streams(serve, {{"payments", "pay-3", msg, 4}, {"search", "se-9", msg, 4}});
  REQUIRE(test::wait_until([&] { return rec.lines().size() == 5; }, 15s));
  std::vector<std::string> last = {rec.lines()[3], rec.lines()[4]};
  std::sort(last.begin(), last.end());
  CHECK(last[0] == "|payments-fix|payments");
  CHECK(last[1] == "|restart|search|se-9|search");
  // Every run names its own service as its target; the fingerprint is the same one throughout.
  auto ran = runs(serve, "&decision=ran");
  REQUIRE(ran.size() == 5);
  std::set<std::string> fps;
  for (const auto& r : ran) fps.insert(r["fingerprint_id"].get<std::string>());
  CHECK(fps.size() == 1);
  MESSAGE("one fingerprint, five triggers: " << rec.lines()[0] << " " << rec.lines()[1] << " " << rec.lines()[2]
                                             << " " << last[0] << " " << last[1]);
  CHECK(rec.lines().size() == 5);
}

TEST_CASE_FIXTURE(
    Scene, "issue 15.1: a placeholder value starting with '-' or empty never reaches argv; the refusal is recorded") {
  const std::string config = write_config(dir, header() + strategies({{"restart-any",
                                                                       "message_regex: 'worker crashed'",
                                                                       {rec.exec({"restart", "{service}", "{host}"})},
                                                                       kNoGuards}}));
  test::ServeProcess serve(dir.file("data"), config);
  const std::string msg = "ERROR worker crashed";
  push(serve, "--force", msg, 3, "", "h1");
  push(serve, "-rf", msg, 3, "", "h1");
  push(serve, "api", msg, 3, "", "--privileged");
  REQUIRE(test::wait_until([&] { return runs(serve, "&reason=unsafe_argument").size() >= 3; }, 15s));
  // A good scope still runs, so the recorder works and is being watched.
  push(serve, "api", msg, 3, "", "h2");
  REQUIRE(test::wait_until([&] { return rec.lines().size() == 1; }, 15s));
  CHECK(rec.lines()[0] == "|restart|api|h2");
  for (const auto& line : rec.lines()) {
    std::size_t pos = 0;
    while ((pos = line.find('|', pos)) != std::string::npos) {
      ++pos;
      CHECK_MESSAGE((pos >= line.size() || line[pos] != '-'), line);
    }
  }
  auto refused = runs(serve, "&reason=unsafe_argument");
  std::set<std::string> targets;
  for (const auto& r : refused) {
    CHECK(r["decision"] == "skipped");
    CHECK(r["detail"].get<std::string>().find("starts with '-'") != std::string::npos);
    targets.insert(r["target"].get<std::string>());
  }
  CHECK(targets.count("--force") == 1);
  CHECK(targets.count("-rf") == 1);
  CHECK(targets.count("api") == 1);  // the host "--privileged" was refused
  MESSAGE("refused runs recorded: " << refused.size() << "; argv lines recorded: " << rec.lines().size());
}

TEST_CASE_FIXTURE(Scene,
                  "defect 2: [exec, notify] opens its breaker after N failed fixes; delivered pages do not reset it") {
  rec.exit_with(1);  // the fix keeps failing
  Receiver hook;
  const std::string config = write_config(
      dir,
      header(notify({"name: oncall, url: '" + hook.url("/oncall") + "', levels: [critical, warning]"},
                    {"page_cooldown_secs: 0"})) +
          strategies({{"restart-orders",
                       "service: orders, message_regex: 'deadlock detected'",
                       {rec.exec({"restart", "{service}"}), "type: notify, level: warning"},
                       "cooldown_secs: 0, max_runs: 20, per_secs: 3600, breaker: {failures: 3, open_secs: 600}"}}));
  test::ServeProcess serve(dir.file("data"), config);
  auto open = [&] {
    auto st = get_json(serve, "/api/v1/healing/state")["breakers"];
    return st.size() == 1 && st[0]["phase"] == "open";
  };
  // Errors keep coming; each push is a new trigger.
  for (int i = 0; i < 60 && !open(); ++i) {
    const auto before = rec.lines().size();
    push(serve, "orders", "ERROR deadlock detected on table orders", 5);
    (void)test::wait_until([&] { return rec.lines().size() > before || open(); }, 3s);
  }
  REQUIRE(open());
  CHECK(rec.lines().size() == 3);
  REQUIRE(test::wait_until([&] { return bodies(hook, "breaker_open").size() == 1; }, 10s));
  const auto pages = bodies(hook, "page");
  CHECK(pages.size() >= 2);  // the notify step ran after failed fixes, and still the breaker opened
  MESSAGE("[exec, notify]: exec runs=" << rec.lines().size() << " pages=" << pages.size()
                                       << " breaker_open pages=" << bodies(hook, "breaker_open").size());
}

TEST_CASE_FIXTURE(Scene, "defect 3: the escalation page after a failed verification is sent even at max_runs") {
  Receiver hook;
  const std::string config =
      write_config(dir, header(notify({"name: oncall, url: '" + hook.url("/oncall") + "', levels: [warning]"})) +
                            strategies({{"restart-cart",
                                         "service: cart, message_regex: 'cache miss storm'",
                                         {rec.exec({"restart", "{service}"}), "type: notify, level: warning"},
                                         "cooldown_secs: 0, max_runs: 1, per_secs: 3600",
                                         {"verification: {window_secs: 2, min_drop_ratio: 0.5}"}}}));
  test::ServeProcess serve(dir.file("data"), config);
  push(serve, "cart", "ERROR cache miss storm", 20);
  REQUIRE(test::wait_until([&] { return rec.lines().size() == 1; }, 15s));
  // The fix did not work: the errors keep coming through the verification window.
  for (int i = 0; i < 40 && bodies(hook, "page").empty(); ++i) {
    push(serve, "cart", "ERROR cache miss storm", 20);
    std::this_thread::sleep_for(100ms);  // a steady stream of errors is the behaviour under test
  }
  REQUIRE(test::wait_until([&] { return !bodies(hook, "page").empty(); }, 15s));
  auto exec = runs(serve, "&decision=ran&strategy=restart-cart");
  std::string verification;
  for (const auto& r : exec)
    if (r["action_type"] == "exec") verification = r["verification"];
  CHECK(verification == "not_verified");
  for (const auto& r : runs(serve, "&reason=rate_limited")) CHECK(r["action_type"] != "notify");
  const auto page = bodies(hook, "page")[0];
  CHECK(page["service"] == "cart");
  CHECK(page["level"] == "warning");
  CHECK(rec.lines().size() == 1);  // the remediation itself stays within max_runs
  MESSAGE("max_runs=1: exec runs=" << rec.lines().size() << " verification=" << verification
                                   << " pages delivered=" << bodies(hook, "page").size());
}

TEST_CASE_FIXTURE(Scene,
                  "defect 4: a thousand skipped decisions on one fingerprint are a handful of rows with counts") {
  const std::string config = write_config(dir, "storage: {flush_interval_ms: 5}\n" + header() +
                                                   strategies({{"clean-disk",
                                                                "service: hot, message_regex: 'disk full'",
                                                                {rec.exec({"clean", "{service}"})},
                                                                "cooldown_secs: 3600, max_runs: 3, per_secs: 3600",
                                                                {"verification: {window_secs: 3600}"}}}));
  test::ServeProcess serve(dir.file("data"), config);
  const std::string series = R"(selfheal_healer_decisions_total{decision="skipped",reason="cooldown"})";
  // One event per push, each its own commit and so its own decision.
  for (int round = 0; round < 100 && metric(serve, series) < 1000; ++round)
    for (int i = 0; i < 50; ++i) push(serve, "hot", "ERROR disk full on /var", 1);
  // The row is written just before the decision is counted: read both once they agree.
  std::int64_t decisions = 0;
  json skipped;
  auto cooldown_rows = [&] {
    std::int64_t n = 0;
    for (const auto& r : skipped)
      if (r["reason"] == "cooldown") n += r["count"].get<std::int64_t>();
    return n;
  };
  (void)test::wait_until(
      [&] {
        decisions = metric(serve, series);
        skipped = runs(serve, "&decision=skipped");
        return cooldown_rows() == decisions;
      },
      5s);
  CHECK(decisions >= 1000);
  CHECK(skipped.size() <= 3);
  std::int64_t counted = 0;
  for (const auto& r : skipped) {
    if (r["reason"] == "cooldown") counted += r["count"].get<std::int64_t>();
    CHECK(is_rfc3339(r["first_ts"]));
    CHECK(is_rfc3339(r["last_ts"]));
  }
  CHECK(counted == decisions);  // nothing lost: every decision is counted in a row
  CHECK(rec.lines().size() == 1);
  MESSAGE("skipped decisions=" << decisions << " history rows=" << skipped.size() << " counted=" << counted);
}

TEST_CASE_FIXTURE(Scene, "defect 5: a pending approval reaches the configured channel with who, what, why and expiry") {
  Receiver hook;
  const std::string config =
      write_config(dir, header(notify({"name: approvers, url: '" + hook.url("/approvals") + "', levels: [critical]"},
                                      {"link_base_url: 'https://selfheal.example'"})) +
                            strategies({{"rollback-billing",
                                         "service: billing, message_regex: 'invoice failed'",
                                         {rec.exec({"rollback", "{service}"}, "name: rollback")},
                                         "",
                                         {"requires_approval: true", "approval_ttl_secs: 600"}}}));
  test::ServeProcess serve(dir.file("data"), config);
  push(serve, "billing", "ERROR invoice failed for customer", 10, "", "bill-1");
  REQUIRE(test::wait_until([&] { return !bodies(hook, "approval_request").empty(); }, 15s));
  const auto a = bodies(hook, "approval_request")[0];
  auto pending = get_json(serve, "/api/v1/approvals?status=pending")["approvals"];
  REQUIRE(pending.size() == 1);
  CHECK(a["approval_id"] == std::to_string(pending[0]["id"].get<std::int64_t>()));
  CHECK(a["service"] == "billing");
  CHECK(a["host"] == "bill-1");
  CHECK(a["strategy"] == "rollback-billing");
  CHECK(a["command"].get<std::string>().find("rollback billing") != std::string::npos);
  CHECK(is_rfc3339(a["expires_at"]));
  const std::string text = a["text"];
  for (const char* part : {"who:", "what:", "why:", "expires:", "invoice failed"})
    CHECK_MESSAGE(text.find(part) != std::string::npos, text);
  CHECK(a["link"] == "https://selfheal.example/api/v1/fingerprints/" + a["fingerprint_id"].get<std::string>());
  CHECK(rec.lines().empty());
  // The row is written once the channels answered, so it can say whether anyone was told.
  json requested;
  REQUIRE(test::wait_until([&] { return (requested = runs(serve, "&decision=approval_requested")).size() == 1; }, 10s));
  CHECK(requested[0]["output"].get<std::string>().find("delivered to 1/1") != std::string::npos);
}

TEST_CASE_FIXTURE(Scene, "defect 6: a merge target shows its members' services for match and for --service") {
  const std::string config = write_config(dir, header() + strategies({{"fix-payments",
                                                                       "service: payments, message_regex: 'ledger'",
                                                                       {rec.exec({"fix", "{service}"})},
                                                                       kNoGuards}}));
  test::ServeProcess serve(dir.file("data"), config);
  // The target only ever had events of another service; payments' own fingerprint is merged into it.
  push(serve, "accounting", "WARN ledger sync lagging behind", 3);
  push(serve, "payments", "ERROR ledger write rejected", 4);
  REQUIRE(test::wait_until([&] { return rec.lines().size() == 1 && settled(serve); }, 15s));
  auto all = get_json(serve, "/api/v1/fingerprints?limit=100")["fingerprints"];
  std::string target, source;
  for (const auto& f : all) {
    const std::string t = f["template"];
    (t.find("lagging") != std::string::npos ? target : source) = f["id"];
  }
  REQUIRE(!target.empty());
  REQUIRE(!source.empty());
  auto m = test::http_post(serve.base_url(), "/api/v1/fingerprints/" + source + "/merge", json{{"into", target}}.dump());
  REQUIRE_MESSAGE(m.status == 200, m.body);
  // --service payments still lists the error (now under the target), with payments among its services.
  auto listed = get_json(serve, "/api/v1/fingerprints?service=payments")["fingerprints"];
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["id"] == target);
  bool has_payments = false;
  for (const auto& s : listed[0]["services"]) has_payments |= s["name"] == "payments";
  CHECK(has_payments);
  auto detail = get_json(serve, "/api/v1/fingerprints/" + target);
  std::set<std::string> services;
  for (const auto& s : detail["services"]) services.insert(s["name"].get<std::string>());
  CHECK(services.count("payments") == 1);
  CHECK(services.count("accounting") == 1);
  auto top = test::run({test::selfheal_binary(), "top", "--service", "payments", "--json", "--server", serve.base_url()});
  CHECK_MESSAGE(top.exit_code == 0, top.err);
  CHECK(top.out.find(target) != std::string::npos);
  // New payments events land on the target and still match `service: payments`.
  push(serve, "payments", "ERROR ledger write rejected", 2);
  REQUIRE(test::wait_until([&] { return rec.lines().size() == 2; }, 15s));
  CHECK(rec.lines()[1] == "|fix|payments");
  auto ran = runs(serve, "&decision=ran");
  CHECK(ran[0]["fingerprint_id"] == target);
}

TEST_CASE("defect 8: webhook payloads: ISO times, numbers as numbers, a link, a title without empty parts") {
  test::TempDir dir;
  Receiver hook;
  const std::string config = write_config(
      dir, header(notify({"name: generic, url: '" + hook.url("/generic") + "', levels: [warning]",
                          "name: slack, format: slack, url: '" + hook.url("/slack") + "', levels: [warning]",
                          "name: pd, format: pagerduty, routing_key_env: PD_KEY, url: '" + hook.url("/pd") +
                              "', levels: [warning]"},
                         {"link_base_url: 'https://selfheal.example/'"})) +
               strategies({{"tell", "service: web", {"type: notify, level: warning"}}}));
  test::ServeProcess serve(dir.file("data"), config, {{"PD_KEY", "0123456789abcdef0123456789abcdef"}});
  push(serve, "web", "ERROR template render failed", 12, "", "web-4");
  REQUIRE(test::wait_until([&] { return hook.snapshot().size() == 3; }, 15s));
  std::map<std::string, json> by_path;
  for (const auto& [p, b] : hook.snapshot()) by_path[p] = json::parse(b);
  const auto& g = by_path["/generic"];
  CHECK(g["count"].is_number_integer());
  CHECK(g["count"].get<std::int64_t>() >= 10);
  CHECK(is_rfc3339(g["ts"]));
  CHECK(is_rfc3339(g["first_seen"]));
  CHECK(is_rfc3339(g["last_seen"]));
  CHECK(g["link"] == "https://selfheal.example/api/v1/fingerprints/" + g["fingerprint_id"].get<std::string>());
  const std::string title = g["title"];
  CHECK(title.find("render failed") != std::string::npos);
  CHECK(title.find(" on web@web-4") != std::string::npos);
  CHECK(title.find(":  ") == std::string::npos);
  CHECK_FALSE(g.contains("exception_type"));  // empty fields are left out, never ""
  const auto& s = by_path["/slack"];
  CHECK(s["text"].get<std::string>().find("render failed") != std::string::npos);
  CHECK(s["blocks"][0]["type"] == "header");
  const auto& pd = by_path["/pd"];
  CHECK(pd["routing_key"] == "0123456789abcdef0123456789abcdef");
  CHECK(pd["event_action"] == "trigger");
  CHECK(pd["payload"]["severity"] == "warning");
  CHECK(pd["payload"]["source"] == "web-4");
  CHECK(is_rfc3339(pd["payload"]["timestamp"]));
}
