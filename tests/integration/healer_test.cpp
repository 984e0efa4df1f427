// Issue 7 acceptance against the real `selfheal serve`: errors pushed over Loki → a strategy fires →
// a real process / a real HTTP receiver → verification; storms, breaker, approvals over API and CLI,
// restarts, and log text that tries to reach a shell. Windows are short (2 s) real-time windows.
#include <doctest/doctest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/healer_support.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace selfheal::healer_it;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE_FIXTURE(Scene,
                  "acceptance 1: pushed errors run exactly the configured argv, and silence afterwards verifies it") {
  const std::string config = write_config(
      dir, header() + strategies({{"restart-payments",
                                   "service: payments, message_regex: 'PaymentGateway timed out'",
                                   {rec.exec({"restart", "{service}", "--fingerprint", "{fingerprint_id}"},
                                             "name: restart, timeout_ms: 5000")},
                                   "cooldown_secs: 600, max_runs: 3, per_secs: 3600",
                                   {"priority: 10", "verification: {window_secs: 2, min_drop_ratio: 0.5}"}}}));
  test::ServeProcess serve(dir.file("data"), config);
  push(serve, "payments", "ERROR PaymentGateway timed out after 30s", 30);
  REQUIRE(test::wait_until([&] { return rec.lines().size() == 1; }, 15s));
  auto ran = runs(serve, "&decision=ran");
  REQUIRE(ran.size() == 1);
  const std::string fp = ran[0]["fingerprint_id"];
  CHECK(rec.lines()[0] == "|restart|payments|--fingerprint|" + fp);
  // We stop sending; the 2 s window passes with no new events.
  REQUIRE(test::wait_until([&] { return runs(serve, "&decision=ran")[0]["verification"] == "verified"; }, 15s));
  auto r = runs(serve, "&decision=ran")[0];
  CHECK(r["outcome"] == "success");
  CHECK(r["exit_code"] == 0);
  CHECK(r["rate_before_per_min"].get<double>() > 0);
  CHECK(r["rate_after_per_min"].get<double>() == 0);
  MESSAGE("exec run: argv=" << rec.lines()[0] << " verification=" << r["verification"].get<std::string>()
                            << " rate_before_per_min=" << r["rate_before_per_min"].get<double>()
                            << " rate_after_per_min=" << r["rate_after_per_min"].get<double>());
  auto stats = get_json(serve, "/api/v1/healing/stats")["rows"];
  REQUIRE(stats.size() == 1);
  CHECK(stats[0]["success_rate"].get<double>() == doctest::Approx(1.0));
  auto overview = get_json(serve, "/api/v1/healing/overview")["rows"];
  REQUIRE(overview.size() == 1);
  CHECK(overview[0]["healing_status"] == "healed");
  const auto metrics = test::http_get(serve.base_url(), "/metrics").body;
  CHECK(metrics.find("selfheal_healer_auto_heals_total 1") != std::string::npos);
  CHECK(metrics.find("selfheal_healer_actions_total{action=\"exec\",outcome=\"success\"} 1") != std::string::npos);
  // Simulate tells what would happen now (cooldown), executing nothing.
  auto sim = test::http_post(serve.base_url(), "/api/v1/healing/simulate", json{{"fingerprint_id", fp}}.dump());
  REQUIRE(sim.status == 200);
  auto sj = json::parse(sim.body);
  CHECK(sj["strategy"] == "restart-payments");
  CHECK(sj["decision"]["reason"] == "cooldown");
  CHECK(sj["plan"]["argv"].back() == fp);
  CHECK(rec.lines().size() == 1);
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("acceptance 1b: the same with a real local HTTP heal endpoint") {
  test::TempDir dir;
  Receiver heal;
  const std::string config = write_config(
      dir, header() + strategies({{"heal-endpoint",
                                   "service: cart, message_regex: 'Redis connection lost'",
                                   {"type: http, name: flush, method: POST, url: '" + heal.url("/admin/heal") +
                                    "', headers_env: {X-Heal-Key: HEAL_KEY}, body_fields: [fingerprint_id, service, "
                                    "template], body: {kind: reconnect}"},
                                   "",
                                   {"verification: {window_secs: 2}"}}}));
  test::ServeProcess serve(dir.file("data"), config, {{"HEAL_KEY", "k3y"}});
  push(serve, "cart", "ERROR Redis connection lost to cache-1", 25);
  REQUIRE(test::wait_until([&] { return heal.snapshot().size() == 1; }, 15s));
  auto req = heal.snapshot()[0];
  CHECK(req.first == "/admin/heal");
  auto body = json::parse(req.second);
  CHECK(body["service"] == "cart");
  CHECK(body["kind"] == "reconnect");
  CHECK(body["template"].get<std::string>().find("Redis connection lost") != std::string::npos);
  REQUIRE(test::wait_until([&] { return runs(serve, "&decision=ran")[0]["verification"] == "verified"; }, 15s));
  CHECK(runs(serve, "&decision=ran")[0]["fingerprint_id"] == body["fingerprint_id"]);
}

TEST_CASE_FIXTURE(Scene,
                  "acceptance 2: a storm runs within the rate limit, opens the breaker once, one critical alert") {
  rec.exit_with(1);  // the "fix" keeps failing
  Receiver hook;
  const std::string config =
      write_config(dir, header(notify({"name: oncall, url: '" + hook.url("/oncall") + "', levels: [critical]"})) +
                            strategies({{"restart-orders",
                                         "service: orders, message_regex: 'deadlock detected'",
                                         {rec.exec({"restart", "{service}"})},
                                         "cooldown_secs: 0, max_runs: 5, per_secs: 3600, max_concurrent: 1, "
                                         "breaker: {failures: 3, open_secs: 600}"}}));
  std::optional<test::ServeProcess> serve(std::in_place, dir.file("data"), config);
  // 1,000 matching events within the minute, in 50 pushes. The storm goes on until the breaker opens
  // (a fast machine can push all 50 while the first failing fixes still run; a skip while a fix is in
  // flight is a `concurrency` decision, not a failure).
  auto open = [&] {
    auto st = get_json(*serve, "/api/v1/healing/state")["breakers"];
    return st.size() == 1 && st[0]["phase"] == "open";
  };
  int pushes = 0;
  for (; pushes < 50; ++pushes) push(*serve, "orders", "ERROR deadlock detected on table orders", 20);
  for (int i = 0; i < 100 && !open(); ++i, ++pushes) {
    const auto before = rec.lines().size();
    push(*serve, "orders", "ERROR deadlock detected on table orders", 20);
    (void)test::wait_until([&] { return rec.lines().size() > before || open(); }, 1s);
  }
  REQUIRE(test::wait_until(open, 20s));
  REQUIRE(test::wait_until([&] { return hook.count_level("critical") == 1; }, 10s));
  // More of the storm after the breaker opened: still no run and no second alert.
  const auto skipped_before = decisions(runs(*serve, "&decision=skipped"));
  for (int i = 0; i < 5; ++i) push(*serve, "orders", "ERROR deadlock detected on table orders", 20);
  REQUIRE(test::wait_until([&] { return decisions(runs(*serve, "&decision=skipped")) > skipped_before; }, 10s));
  const auto exec_runs = runs(*serve, "&decision=ran&strategy=restart-orders");
  std::size_t execs = 0;
  for (const auto& r : exec_runs) execs += r["action_type"] == "exec";
  CHECK(execs == 3);  // opened after 3 failures: never above the rate limit of 5
  CHECK(execs <= 5);
  CHECK(rec.lines().size() == 3);
  CHECK(hook.count_level("critical") == 1);
  auto skipped = runs(*serve, "&decision=skipped");
  CHECK(decisions(skipped) > 3);
  std::int64_t breaker_open = 0;
  for (const auto& r : skipped) {
    CHECK_FALSE(r["reason"].get<std::string>().empty());
    if (r["reason"] == "breaker_open") breaker_open += r["count"].get<std::int64_t>();
  }
  CHECK(breaker_open >= 1);
  MESSAGE("storm: events=" << pushes * 20 + 100 << " exec_runs=" << execs << " rate_limit=5 skipped=" << decisions(skipped)
                                          << " skipped_rows=" << skipped.size()
                                          << " breaker_open_skips=" << breaker_open
                                          << " critical_notifications=" << hook.count_level("critical"));
  const auto metrics = test::http_get(serve->base_url(), "/metrics").body;
  CHECK(metrics.find("selfheal_healer_circuit_breaks_total 1") != std::string::npos);
  CHECK(metrics.find("selfheal_healer_breaker_state{strategy=\"restart-orders\"} 2") != std::string::npos);
  // The breaker state survives a restart.
  CHECK(serve->stop(SIGTERM) == 0);
  serve.reset();
  serve.emplace(dir.file("data"), config);
  auto st = get_json(*serve, "/api/v1/healing/state")["breakers"];
  REQUIRE(st.size() == 1);
  CHECK(st[0]["phase"] == "open");
  const auto before = decisions(runs(*serve, "&reason=breaker_open"));
  push(*serve, "orders", "ERROR deadlock detected on table orders", 5);
  REQUIRE(test::wait_until([&] { return decisions(runs(*serve, "&reason=breaker_open")) > before; }, 10s));
  CHECK(rec.lines().size() == 3);
}

TEST_CASE_FIXTURE(Scene, "acceptance 3: approvals over the API and the CLI, expiry, and a restart in the middle") {
  const std::string config = write_config(dir, "api: {token_env: SELFHEAL_TEST_TOKEN}\n" + header() +
                                                   strategies({{"rollback-billing",
                                                                "service: billing, message_regex: 'invoice failed'",
                                                                {rec.exec({"rollback", "{service}"}, "name: rollback")},
                                                                "",
                                                                {"requires_approval: true", "approval_ttl_secs: 600"}},
                                                               {"restart-shipping",
                                                                "service: shipping, message_regex: 'label printer'",
                                                                {rec.exec({"restart", "{service}"}, "name: restart")},
                                                                "",
                                                                {"requires_approval: true", "approval_ttl_secs: 2"}},
                                                               {"reload-search",
                                                                "service: search, message_regex: 'index corrupt'",
                                                                {rec.exec({"reload", "{service}"}, "name: reload")},
                                                                "",
                                                                {"requires_approval: true"}}}));
  const std::map<std::string, std::string> env = {{"SELFHEAL_TEST_TOKEN", "t0ken"}};
  std::optional<test::ServeProcess> serve(std::in_place, dir.file("data"), config, env);
  push(*serve, "billing", "ERROR invoice failed for customer", 10, "t0ken");
  push(*serve, "search", "ERROR index corrupt on shard", 10, "t0ken");
  // With a token configured, reads need it too (issue 15).
  auto pending = [&] { return get_json(*serve, "/api/v1/approvals?status=pending", "t0ken")["approvals"]; };
  REQUIRE(test::wait_until([&] { return pending().size() == 2; }, 15s));
  CHECK(rec.lines().empty());

  // Restart in the middle: the pending approvals are kept.
  CHECK(serve->stop(SIGTERM) == 0);
  serve.reset();
  serve.emplace(dir.file("data"), config, env);
  auto p = pending();
  REQUIRE(p.size() == 2);
  std::int64_t billing = 0, search = 0;
  for (const auto& a : p) (a["strategy"] == "rollback-billing" ? billing : search) = a["id"].get<std::int64_t>();
  const bool plan_shown = p[0]["plan"]["argv"].dump().find("rollback") != std::string::npos ||
                          p[1]["plan"]["argv"].dump().find("rollback") != std::string::npos;
  CHECK(plan_shown);

  // The API needs the token and records the token's name (the older api.token_env key: "default"),
  // never the "by" field.
  auto no_token = test::http_post(serve->base_url(), "/api/v1/approvals/" + std::to_string(search) + "/reject", "{}");
  CHECK(no_token.status == 401);
  auto rej = test::http_post(serve->base_url(), "/api/v1/approvals/" + std::to_string(search) + "/reject",
                             json{{"by", "bob"}, {"note", "not during peak"}}.dump(), "application/json",
                             {{"Authorization", "Bearer t0ken"}});
  REQUIRE(rej.status == 200);
  CHECK(json::parse(rej.body)["status"] == "rejected");
  CHECK(json::parse(rej.body)["decided_by"] == "default");

  // The CLI approves against the running server.
  auto cli = test::run(
      {test::selfheal_binary(), "approve", std::to_string(billing), "--server", serve->base_url(), "--by", "alice"}, "",
      {{"SELFHEAL_TOKEN", "t0ken"}});
  CHECK_MESSAGE(cli.exit_code == 0, (cli.out + cli.err));
  REQUIRE(test::wait_until([&] { return rec.lines().size() == 1; }, 15s));
  CHECK(rec.lines()[0] == "|rollback|billing");
  auto all = get_json(*serve, "/api/v1/approvals?status=all", "t0ken")["approvals"];
  for (const auto& a : all) {
    if (a["id"] == billing) {
      CHECK(a["status"] == "consumed");
      CHECK(a["decided_by"] == "default");
      CHECK_FALSE(a["decided_at"].is_null());
    }
  }
  auto ran = runs(*serve, "&decision=ran", "t0ken");
  REQUIRE(ran.size() == 1);
  CHECK(ran[0]["approval_id"] == billing);
  // Approving twice is a conflict; rejecting via the CLI with a wrong id fails.
  auto again = test::run({test::selfheal_binary(), "approve", std::to_string(billing), "--server", serve->base_url()},
                         "", {{"SELFHEAL_TOKEN", "t0ken"}});
  CHECK(again.exit_code != 0);

  // Expiry: nobody answers the shipping approval within its 2 s.
  push(*serve, "shipping", "ERROR label printer offline", 10, "t0ken");
  std::int64_t shipping = 0;
  REQUIRE(test::wait_until(
      [&] {
        const json all_approvals = get_json(*serve, "/api/v1/approvals?status=all", "t0ken");
        for (const auto& a : all_approvals["approvals"])
          if (a["strategy"] == "restart-shipping") shipping = a["id"];
        return shipping != 0;
      },
      15s));
  REQUIRE(test::wait_until([&] { return runs(*serve, "&reason=approval_expired", "t0ken").size() == 1; }, 15s));
  auto late = test::http_post(serve->base_url(), "/api/v1/approvals/" + std::to_string(shipping) + "/approve", "{}",
                              "application/json", {{"Authorization", "Bearer t0ken"}});
  CHECK(late.status == 409);
  CHECK(rec.lines().size() == 1);
  CHECK(serve->stop(SIGTERM) == 0);
  serve.reset();

  // Without a server the CLI works on the database file.
  auto offline = test::run({test::selfheal_binary(), "approvals", "--status", "all", "--data-dir", dir.file("data")});
  CHECK_MESSAGE(offline.exit_code == 0, offline.err);
  CHECK(offline.out.find("expired") != std::string::npos);
  CHECK(offline.out.find("rejected") != std::string::npos);
  auto rules =
      test::run({test::selfheal_binary(), "rules", "--config", config, "--data-dir", dir.file("data")}, "", env);
  CHECK_MESSAGE(rules.exit_code == 0, rules.err);
  CHECK(rules.out.find("rollback-billing") != std::string::npos);
  CHECK(rules.out.find("restart-shipping") != std::string::npos);
}

TEST_CASE_FIXTURE(Scene, "acceptance 4: log text with shell metacharacters never reaches a shell or an argv") {
  const std::string pwned = dir.file("pwned");
  const std::string config = write_config(
      dir,
      header() +
          strategies({{"restart-any", "message_regex: 'payload'", {rec.exec({"{service}", "{fingerprint_id}"})}}}));
  test::ServeProcess serve(dir.file("data"), config);
  const std::string evil = "ERROR payload $(touch " + pwned + "); `touch " + pwned + "` | sh -c 'touch " + pwned +
                           "' && echo ${IFS}; rm -rf / #";
  push(serve, "web", evil, 5);
  REQUIRE(test::wait_until([&] { return rec.lines().size() == 1; }, 15s));
  const std::string fp = runs(serve, "&decision=ran")[0]["fingerprint_id"];
  CHECK(rec.lines()[0] == "|web|" + fp);  // only the validated fields, never the message

  // A service name (from a log label) with metacharacters: the action refuses, nothing runs, and the
  // refusal is a recorded decision with its reason.
  push(serve, "api;$(touch " + pwned + ")", "ERROR payload other $(id)", 5);
  REQUIRE(test::wait_until([&] { return !runs(serve, "&reason=unsafe_argument").empty(); }, 15s));
  CHECK(rec.lines().size() == 1);
  CHECK_FALSE(std::filesystem::exists(pwned));
}

TEST_CASE("bad healer configs are refused at startup with file:line:col") {
  test::TempDir dir;
  struct Case {
    std::string yaml;
    std::string expect;  // part of the message
    std::string where;   // ":line:col"
  };
  const std::vector<Case> cases = {
      {"healer:\n  strategies:\n    - name: a\n      colour: red\n      actions: [{type: suggest}]\n",
       "unknown key 'healer.strategies[0].colour'", ":4:7"},
      {"healer:\n  strategies:\n    - name: a\n      match: {message_regex: '(unclosed'}\n      actions: [{type: "
       "suggest}]\n",
       "invalid message_regex", ":3:7"},
      {"healer:\n  strategies:\n    - name: a\n      actions:\n        - {type: exec, argv: [/bin/echo, "
       "'--unit={service}']}\n",
       "placeholders must be whole argv elements", ":3:7"},
      {"healer:\n  strategies:\n    - name: a\n      actions:\n        - {type: exec, argv: [/bin/echo, "
       "'{template}']}\n",
       "is not allowed in argv", ":3:7"},
      {"healer:\n  strategies:\n    - name: a\n      actions:\n        - {type: http, url: 'http://x/y', token: abc}\n",
       "unknown key 'healer.strategies[0].actions[0].token'", ":5:43"},
      {"healer:\n  strategies:\n    - name: a\n      actions:\n        - {type: reboot}\n", "'reboot' is not one of",
       ":5:12"},
      {"healer:\n  strategies:\n    - name: a\n      actions: [{type: notify, level: warning, channels: [nope]}]\n",
       "notify channel 'nope' is not configured", ":4:7"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    const std::string path = dir.file("bad.yaml");
    test::write_file(path, c.yaml);
    auto r = test::run({test::selfheal_binary(), "config", "check", "-c", path});
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(r.err.find(c.expect) != std::string::npos, r.err);
    CHECK_MESSAGE(r.err.find(path + c.where) != std::string::npos, r.err);
  }
}

TEST_CASE("a garbage limit on the healing API is a 400 that names it, never silently the default") {
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"));
  const std::vector<std::string> endpoints = {"/api/v1/healing/runs", "/api/v1/healing/overview",
                                              "/api/v1/healing/activity", "/api/v1/healing/stats",
                                              "/api/v1/approvals"};
  for (const auto& ep : endpoints) {
    for (const std::string bad : {"abc", "0", "-1", "5x", "1e3", "", "100000"}) {
      CAPTURE(ep);
      CAPTURE(bad);
      auto r = test::http_get(serve.base_url(), ep + "?limit=" + bad);
      CHECK(r.status == 400);
      auto j = json::parse(r.body, nullptr, false);
      REQUIRE_FALSE(j.is_discarded());
      CHECK(j["error"].get<std::string>().find("limit: an integer between 1 and 1000") != std::string::npos);
    }
    CAPTURE(ep);
    CHECK(test::http_get(serve.base_url(), ep + "?limit=7").status == 200);
    CHECK(test::http_get(serve.base_url(), ep).status == 200);
  }
  CHECK(serve.stop() == 0);
}
