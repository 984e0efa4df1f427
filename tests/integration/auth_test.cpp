// Access control of `selfheal serve` (issue 15, item 2): named tokens with roles, every route against
// no token, a wrong token and each role; the actor of every audit, approval and review row written
// through the API is the token's name, whatever the request says; Promtail/Alloy credentials on the
// push endpoint; the CLI sends its token.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/contract/fake_llm_server.hpp"
#include "tests/integration/healer_support.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::map<std::string, std::string> token_env = {
    {"IT_TOKEN_VIEW", "view-secret-1"}, {"IT_TOKEN_OPS", "ops-secret-2"}, {"IT_TOKEN_SHIP", "ship-secret-3"},
    {"IT_TOKEN_ROOT", "root-secret-4"}, {"IT_TOKEN_BOB", "bob-secret-5"}};

std::string tokens_yaml() {
  return "api:\n"
         "  tokens:\n"
         "    - {name: vera, role: viewer, token_env: IT_TOKEN_VIEW}\n"
         "    - {name: alice, role: operator, token_env: IT_TOKEN_OPS}\n"
         "    - {name: promtail-eu, role: ingest, token_env: IT_TOKEN_SHIP}\n"
         "    - {name: root, role: admin, token_env: IT_TOKEN_ROOT}\n"
         "    - {name: bob, role: operator, token_env: IT_TOKEN_BOB}\n";
}

std::map<std::string, std::string> bearer(const std::string& secret) { return {{"Authorization", "Bearer " + secret}}; }

std::string one_push() {
  return json{{"streams", {{{"stream", {{"service", "auth-test"}, {"level", "error"}}},
                            {"values", json::array({json::array({std::to_string(healer_it::now_ns()), "ERROR auth matrix line"})})}}}}}
      .dump();
}

struct Route {
  std::string method, path, body;
  int allowed;  // status when the token may use the route
  const char* need;  // open | read | ingest | operate
};

}  // namespace

TEST_CASE("route x role matrix: every route against no token, a wrong token and each role") {
  test::TempDir dir;
  const std::string cfg = dir.file("c.yaml");
  test::write_file(cfg, tokens_yaml());
  test::ServeProcess serve(dir.file("data"), cfg, token_env);
  const std::string fp = "0123456789abcdef";
  // Writes aim at ids that do not exist: allowed means "passes access control, then 404", so the matrix
  // changes no state and every allowed status is exact.
  const std::vector<Route> routes = {
      {"GET", "/healthz", "", 200, "open"},
      {"GET", "/readyz", "", 200, "open"},
      {"GET", "/metrics", "", 200, "open"},
      {"GET", "/api/v1/stats", "", 200, "read"},
      {"GET", "/api/v1/fingerprints", "", 200, "read"},
      {"GET", "/api/v1/fingerprints/" + fp, "", 404, "read"},
      {"GET", "/api/v1/fingerprints/" + fp + "/suggest/preview", "", 503, "read"},
      {"GET", "/api/v1/audit", "", 200, "read"},
      {"GET", "/api/v1/dead-letters", "", 200, "read"},
      {"GET", "/api/v1/healing/runs", "", 200, "read"},
      {"GET", "/api/v1/healing/rules", "", 200, "read"},
      {"GET", "/api/v1/healing/state", "", 200, "read"},
      {"GET", "/api/v1/healing/overview", "", 200, "read"},
      {"GET", "/api/v1/healing/activity", "", 200, "read"},
      {"GET", "/api/v1/healing/stats", "", 200, "read"},
      {"GET", "/api/v1/approvals", "", 200, "read"},
      {"GET", "/api/v1/suggestions", "", 200, "read"},
      {"GET", "/api/v1/suggestions/calibration", "", 200, "read"},
      {"GET", "/api/v1/suggestions/999", "", 404, "read"},
      {"GET", "/no/such/endpoint", "", 404, "read"},
      {"POST", "/api/v1/healing/simulate", "{\"fingerprint_id\":\"" + fp + "\"}", 404, "read"},
      {"POST", "/loki/api/v1/push", one_push(), 204, "ingest"},
      {"POST", "/api/prom/push",
       R"({"streams":[{"labels":"{app=\"auth-test\"}","entries":[{"ts":"2026-11-23T10:00:00Z","line":"ERROR a"}]}]})", 204,
       "ingest"},
      {"POST", "/api/v1/fingerprints/" + fp + "/resolve", "", 404, "operate"},
      {"POST", "/api/v1/fingerprints/" + fp + "/unresolve", "", 404, "operate"},
      {"POST", "/api/v1/fingerprints/" + fp + "/ignore", "{\"for\":\"1h\"}", 404, "operate"},
      {"POST", "/api/v1/fingerprints/" + fp + "/merge", "{\"into\":\"fedcba9876543210\"}", 404, "operate"},
      {"POST", "/api/v1/fingerprints/" + fp + "/unmerge", "", 404, "operate"},
      {"POST", "/api/v1/fingerprints/" + fp + "/suggest", "{}", 503, "operate"},
      {"POST", "/api/v1/dead-letters/999/replay", "", 404, "operate"},
      {"POST", "/api/v1/healing/failover/s/a/reset", "", 409, "operate"},
      {"POST", "/api/v1/approvals/999/approve", "{}", 404, "operate"},
      {"POST", "/api/v1/approvals/999/reject", "{}", 404, "operate"},
      {"POST", "/api/v1/suggestions/999/accept", "{}", 404, "operate"},
      {"POST", "/api/v1/suggestions/999/reject", "{}", 404, "operate"},
      {"POST", "/api/v1/suggestions/999/apply", "{}", 404, "operate"},
      {"POST", "/no/such/endpoint", "{}", 404, "operate"},
  };
  struct Caller {
    std::string label;
    std::map<std::string, std::string> headers;
    std::vector<std::string> may;  // accesses it passes besides open
  };
  const std::vector<Caller> callers = {
      {"no token", {}, {}},
      {"wrong token", bearer("not-a-token"), {}},
      {"viewer", bearer("view-secret-1"), {"read"}},
      {"operator", bearer("ops-secret-2"), {"read", "operate"}},
      {"ingest", bearer("ship-secret-3"), {"ingest"}},
      {"admin", bearer("root-secret-4"), {"read", "ingest", "operate"}},
  };
  int checked = 0;
  for (const auto& r : routes) {
    for (const auto& c : callers) {
      const bool may = std::string(r.need) == "open" ||
                       std::find(c.may.begin(), c.may.end(), std::string(r.need)) != c.may.end();
      const bool anonymous = c.headers.empty() || c.label == "wrong token";
      const int expected = may ? r.allowed : anonymous ? 401 : 403;
      auto res = r.method == "GET" ? test::http_get(serve.base_url(), r.path, c.headers)
                                   : test::http_post(serve.base_url(), r.path, r.body, "application/json", c.headers);
      CAPTURE(r.method);
      CAPTURE(r.path);
      CAPTURE(c.label);
      CAPTURE(res.body);
      CHECK(res.status == expected);
      if (expected == 401) CHECK(res.header("WWW-Authenticate").find("Bearer") != std::string::npos);
      ++checked;
    }
  }
  MESSAGE("route x role matrix: " << routes.size() << " routes x " << callers.size() << " callers = " << checked
                                  << " requests checked");
  // Refusals are counted.
  auto metrics = test::http_get(serve.base_url(), "/metrics").body;
  CHECK(metrics.find("selfheal_http_denied_total{code=\"401\"}") != std::string::npos);
}

TEST_CASE("access control happens before the body is read; schemes are case-insensitive; Promtail/Alloy credentials") {
  test::TempDir dir;
  const std::string cfg = dir.file("c.yaml");
  test::write_file(cfg, tokens_yaml() + "  open_endpoints: [/healthz]\n");
  test::ServeProcess serve(dir.file("data"), cfg, token_env);
  const std::string base = serve.base_url();
  const std::string resolve = "/api/v1/fingerprints/0123456789abcdef/resolve";

  // A POST with no body at all (no Content-Length): 401 without a token, 403 with a viewer's, never 400.
  httplib::Client raw(base);
  auto bare = raw.Post(resolve, httplib::Headers{}, nullptr, 0, "");
  REQUIRE(bare);
  CHECK(bare->status == 401);
  auto bare_view = raw.Post(resolve, httplib::Headers{{"Authorization", "Bearer view-secret-1"}}, nullptr, 0, "");
  REQUIRE(bare_view);
  CHECK(bare_view->status == 403);
  // An undecodable push without a token is refused before it is decoded (and kept nowhere).
  CHECK(test::http_post(base, "/loki/api/v1/push", "not json", "application/json").status == 401);
  CHECK(test::http_get(base, "/api/v1/dead-letters", bearer("root-secret-4")).body.find("\"items\":[]") != std::string::npos);

  // Authorization schemes in any case.
  for (const char* scheme : {"bearer", "BEARER", "Bearer", "bEaReR"})
    CHECK(test::http_get(base, "/api/v1/stats", {{"Authorization", std::string(scheme) + " view-secret-1"}}).status == 200);
  CHECK(test::http_get(base, "/api/v1/stats", {{"X-Selfheal-Token", "view-secret-1"}}).status == 200);

  // Promtail/Alloy: `bearer_token` sends Bearer; `basic_auth` sends Basic with the token as password.
  const std::string push = one_push();
  CHECK(test::http_post(base, "/loki/api/v1/push", push, "application/json", bearer("ship-secret-3")).status == 204);
  httplib::Client basic(base);
  basic.set_basic_auth("promtail", "ship-secret-3");
  auto b = basic.Post("/loki/api/v1/push", push, "application/json");
  REQUIRE(b);
  CHECK(b->status == 204);
  httplib::Client basic_wrong(base);
  basic_wrong.set_basic_auth("promtail", "ship-secret-X");
  auto bw = basic_wrong.Post("/loki/api/v1/push", push, "application/json");
  REQUIRE(bw);
  CHECK(bw->status == 401);
  // The shipper's credential cannot read or decide anything.
  CHECK(test::http_get(base, "/api/v1/fingerprints", bearer("ship-secret-3")).status == 403);
  CHECK(test::http_post(base, resolve, "{}", "application/json", bearer("ship-secret-3")).status == 403);

  // open_endpoints: [/healthz] leaves only /healthz open.
  CHECK(test::http_get(base, "/healthz").status == 200);
  CHECK(test::http_get(base, "/metrics").status == 401);
  CHECK(test::http_get(base, "/readyz").status == 401);
  CHECK(test::http_get(base, "/metrics", bearer("view-secret-1")).status == 200);
}

TEST_CASE("audit, approval and review rows written through the API carry the token's name, never a request field") {
  test::TempDir dir;
  healer_it::Recorder rec(dir, 0);
  test::FakeLlmServer llm(test::LlmWire::openai);
  llm.set_default({200,
                   llm.answer(json{{"summary", "s"}, {"root_cause", "r"}, {"suggested_fix", "f"}, {"evidence", json::array()},
                                   {"confidence", 0.5}}
                                  .dump()),
                   {}});
  const std::string cfg = dir.file("c.yaml");
  test::write_file(cfg, tokens_yaml() + healer_it::header() +
                            "  strategies:\n"
                            "    - name: rollback-billing\n"
                            "      match: {service: billing, message_regex: 'invoice failed'}\n"
                            "      requires_approval: true\n"
                            "      actions:\n"
                            "        - {type: exec, name: rollback, argv: " + rec.argv_yaml({"rollback", "{service}"}) + "}\n"
                            "    - name: reload-search\n"
                            "      match: {service: search, message_regex: 'index corrupt'}\n"
                            "      requires_approval: true\n"
                            "      actions:\n"
                            "        - {type: exec, name: reload, argv: " + rec.argv_yaml({"reload", "{service}"}) + "}\n"
                            "llm:\n"
                            "  provider: {type: openai, base_url: " + llm.base_url() + "/v1, model: m, api_key_env: IT_LLM_KEY}\n");
  auto env = token_env;
  env["IT_LLM_KEY"] = "sk-auth-test-000000000000";
  test::ServeProcess serve(dir.file("data"), cfg, env);
  const std::string base = serve.base_url();
  const auto ops = bearer("ops-secret-2");
  // Request fields and headers that used to name the actor; all ignored now.
  auto spoof = ops;
  spoof["X-Selfheal-User"] = "mallory";

  // Pushed with the shipper's token, over the real push path.
  for (const auto& [service, msg] : {std::pair<std::string, std::string>{"billing", "ERROR invoice failed for customer"},
                                     {"search", "ERROR index corrupt on shard"}}) {
    json values = json::array();
    for (int i = 0; i < 5; ++i) values.push_back({std::to_string(healer_it::now_ns() + i), msg + " request=" + std::to_string(i)});
    json body = {{"streams", {{{"stream", {{"service", service}, {"level", "error"}}}, {"values", values}}}}};
    REQUIRE(test::http_post(base, "/loki/api/v1/push", body.dump(), "application/json", bearer("ship-secret-3")).status == 204);
  }
  json fps;
  REQUIRE(test::wait_until([&] {
    auto r = test::http_get(base, "/api/v1/fingerprints", ops);
    fps = json::parse(r.body, nullptr, false);
    return r.status == 200 && fps["fingerprints"].size() >= 2;
  }, 15s));
  const std::string fp = fps["fingerprints"][0]["id"];

  // Audit: lifecycle through the API and through the CLI.
  auto res = test::http_post(base, "/api/v1/fingerprints/" + fp + "/resolve", json{{"by", "mallory"}}.dump(), "application/json", spoof);
  REQUIRE(res.status == 200);
  CHECK(json::parse(res.body)["by"] == "alice");
  auto cli = test::run({test::selfheal_binary(), "unresolve", fp, "--server", base}, "", {{"SELFHEAL_TOKEN", "bob-secret-5"}, {"USER", "mallory"}});
  CHECK_MESSAGE(cli.exit_code == 0, (cli.out + cli.err));
  auto cli_no_token = test::run({test::selfheal_binary(), "top", "--server", base}, "", {{"SELFHEAL_TOKEN", ""}});
  CHECK(cli_no_token.exit_code != 0);
  auto cli_top = test::run({test::selfheal_binary(), "top", "--server", base, "--json"}, "", {{"SELFHEAL_TOKEN", "view-secret-1"}});
  CHECK_MESSAGE(cli_top.exit_code == 0, cli_top.err);
  auto audit = json::parse(test::http_get(base, "/api/v1/audit", ops).body)["entries"];
  std::vector<std::string> actors;
  for (const auto& e : audit)
    if (e["subject"] == fp) actors.push_back(e["actor"]);
  CHECK(actors == std::vector<std::string>{"alice", "bob"});

  // Approvals: one over the API (body "by" and header ignored), one through the CLI (--by ignored).
  json pending;
  REQUIRE(test::wait_until([&] {
    pending = json::parse(test::http_get(base, "/api/v1/approvals?status=pending", ops).body)["approvals"];
    return pending.size() == 2;
  }, 20s));
  std::int64_t billing = 0, search = 0;
  for (const auto& a : pending) (a["strategy"] == "rollback-billing" ? billing : search) = a["id"].get<std::int64_t>();
  auto rej = test::http_post(base, "/api/v1/approvals/" + std::to_string(search) + "/reject",
                             json{{"by", "mallory"}, {"note", "not now"}}.dump(), "application/json", spoof);
  REQUIRE(rej.status == 200);
  CHECK(json::parse(rej.body)["decided_by"] == "alice");
  // A viewer cannot approve.
  CHECK(test::http_post(base, "/api/v1/approvals/" + std::to_string(billing) + "/approve", "{}", "application/json",
                        bearer("view-secret-1")).status == 403);
  auto appr = test::run({test::selfheal_binary(), "approve", std::to_string(billing), "--server", base, "--by", "mallory"}, "",
                        {{"SELFHEAL_TOKEN", "bob-secret-5"}});
  CHECK_MESSAGE(appr.exit_code == 0, (appr.out + appr.err));
  auto all = json::parse(test::http_get(base, "/api/v1/approvals?status=all", ops).body)["approvals"];
  for (const auto& a : all) {
    if (a["id"] == billing) CHECK(a["decided_by"] == "bob");
    if (a["id"] == search) CHECK(a["decided_by"] == "alice");
  }
  REQUIRE(test::wait_until([&] { return rec.lines().size() == 1; }, 15s));

  // Suggestions: requested by the token, reviewed through the API (who ignored) and the CLI (--who ignored).
  auto ask = test::http_post(base, "/api/v1/fingerprints/" + fp + "/suggest", json{{"requested_by", "mallory"}}.dump(),
                             "application/json", spoof);
  REQUIRE(ask.status == 202);
  json item;
  REQUIRE(test::wait_until([&] {
    auto j = json::parse(test::http_get(base, "/api/v1/suggestions?fingerprint=" + fp, ops).body, nullptr, false);
    if (!j.is_object() || j["items"].empty()) return false;
    item = j["items"][0];
    return true;
  }, 20s));
  const std::string sid = std::to_string(item["id"].get<std::int64_t>());
  auto detail = json::parse(test::http_get(base, "/api/v1/suggestions/" + sid, ops).body);
  CHECK(detail["requested_by"] == "alice");
  auto review = test::run({test::selfheal_binary(), "review", "--server", base, "accept", sid, "--who", "mallory"}, "",
                          {{"SELFHEAL_TOKEN", "bob-secret-5"}});
  CHECK_MESSAGE(review.exit_code == 0, (review.out + review.err));
  auto applied = test::http_post(base, "/api/v1/suggestions/" + sid + "/apply", json{{"who", "mallory"}}.dump(),
                                 "application/json", bearer("root-secret-4"));
  CHECK_MESSAGE(applied.status == 200, applied.body);
  detail = json::parse(test::http_get(base, "/api/v1/suggestions/" + sid, ops).body);
  CHECK(detail["review"]["by"] == "bob");
  CHECK(detail["applied"]["by"] == "root");
  CHECK(serve.log().find("mallory") == std::string::npos);
}

TEST_CASE("token config: the older api.token_env key still works as the admin token named default; bad token lists fail") {
  test::TempDir dir;
  const std::string cfg = dir.file("c.yaml");
  test::write_file(cfg, "api:\n  token_env: IT_OLD_TOKEN\n");
  test::ServeProcess serve(dir.file("data"), cfg, {{"IT_OLD_TOKEN", "old-secret"}});
  CHECK(test::http_get(serve.base_url(), "/api/v1/stats").status == 401);
  CHECK(test::http_get(serve.base_url(), "/api/v1/stats", bearer("old-secret")).status == 200);
  auto r = test::http_post(serve.base_url(), "/api/v1/fingerprints/0123456789abcdef/resolve", "{}", "application/json",
                           bearer("old-secret"));
  CHECK(r.status == 404);

  // Two tokens with one secret would make the actor ambiguous; an unset variable leaves the API open.
  test::write_file(cfg, "api:\n  tokens:\n    - {name: a, role: admin, token_env: IT_A}\n    - {name: b, role: viewer, token_env: IT_B}\n");
  auto same = test::run({test::selfheal_binary(), "serve", "--config", cfg, "--listen", "127.0.0.1:0", "--data-dir", dir.file("d2")},
                        "", {{"IT_A", "same"}, {"IT_B", "same"}}, 20s);
  CHECK(same.exit_code == 2);
  CHECK(same.err.find("same secret") != std::string::npos);
  auto unset = test::run({test::selfheal_binary(), "config", "check", "--config", cfg}, "", {{"IT_A", "x"}});
  CHECK(unset.exit_code == 2);
  CHECK(unset.err.find("IT_B") != std::string::npos);
  test::write_file(cfg, "api:\n  tokens:\n    - {name: a, role: superuser, token_env: IT_A}\n");
  auto role = test::run({test::selfheal_binary(), "config", "check", "--config", cfg}, "", {{"IT_A", "x"}});
  CHECK(role.exit_code == 2);
  CHECK(role.err.find("viewer") != std::string::npos);
}
