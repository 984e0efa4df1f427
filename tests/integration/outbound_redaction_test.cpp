// Issue 15 acceptance 4 (redaction): secrets planted in log lines appear in none of the bodies that
// leave the machine. A real `selfheal serve` gets them through the Loki push API; every outbound
// HTTP body is captured on local servers: the LLM prompt (a local OpenAI-shaped provider, through the
// healer's `suggest` action), the notify channels in all three formats (json, slack, pagerduty), an
// HTTP action payload and the approval request sent to every channel.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/contract/fake_llm_server.hpp"
#include "tests/integration/healer_support.hpp"
#include "tests/support/planted_secrets.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace selfheal::healer_it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The planted list (every redactor kind plus the three of issue 15) and lines whose secret survives
// fingerprint normalisation (letters only, one occurrence), so it reaches the template that the
// healer's notifications and HTTP bodies carry: without redaction on those paths they would leak.
std::vector<testing::Planted> lines_to_plant() {
  auto v = testing::planted_secrets();
  v.push_back({"secret_value", "psql: env PGPASSWORD=hunterxyz PGUSER=app", "hunterxyz"});
  v.push_back({"secret_value", "upload denied: aws secret wJalrXUtnFEMIzKqMDENGbPxRfiCYEXAMPLEKEY for bucket logs",
               "wJalrXUtnFEMIzKqMDENGbPxRfiCYEXAMPLEKEY"});
  v.push_back({"cookie", "rejected request cookie sid=lettersOnlyCookieValue here", "lettersOnlyCookieValue"});
  v.push_back({"secret_value", "auth token is QwErTyUiOpAsDfGhJkLz retrying", "QwErTyUiOpAsDfGhJkLz"});
  return v;
}

std::size_t fingerprints_of(const test::ServeProcess& serve, const std::string& service) {
  return get_json(serve, "/api/v1/fingerprints?limit=1000&service=" + service)["fingerprints"].size();
}

std::vector<std::string> bodies_at(Receiver& r, const std::string& path) {
  std::vector<std::string> out;
  for (const auto& [p, b] : r.snapshot())
    if (p == path) out.push_back(b);
  return out;
}

}  // namespace

TEST_CASE("acceptance 4: planted secrets appear in no outbound body (LLM, notify json/slack/pagerduty, http action, "
          "approval request)") {
  test::TempDir dir;
  Receiver rx;
  test::FakeLlmServer llm(test::LlmWire::openai);
  llm.set_default({200, llm.answer(test::FakeLlmServer::suggestion_json()), {}});
  const std::string config = dir.file("selfheal.yaml");
  test::write_file(config,
                   header("  notify:\n"
                          "    channels:\n"
                          "      - {name: hook, url: '" + rx.url("/json") + "', levels: [critical]}\n"
                          "      - {name: chat, url: '" + rx.url("/slack") + "', levels: [critical], format: slack}\n"
                          "      - {name: pager, url: '" + rx.url("/pd") + "', levels: [critical], format: pagerduty, "
                          "routing_key_env: SELFHEAL_TEST_PD_KEY}\n"
                          "  strategies:\n"
                          "    - name: tell-people\n"
                          "      match: {service: svc-notify}\n"
                          "      actions: [{type: notify, level: critical}]\n"
                          "    - name: call-heal-endpoint\n"
                          "      match: {service: svc-http}\n"
                          "      guards: {cooldown_secs: 0, max_runs: 0, max_concurrent: 0}\n"
                          "      actions: [{type: http, url: '" + rx.url("/heal") + "', "
                          "body_fields: [template, exception_type, service, host, fingerprint_id]}]\n"
                          "    - name: needs-a-person\n"
                          "      match: {service: svc-approve}\n"
                          "      requires_approval: true\n"
                          "      guards: {cooldown_secs: 0, max_runs: 0, max_concurrent: 0}\n"
                          "      actions: [{type: exec, argv: [/bin/true, '{service}']}]\n"
                          "    - name: ask-the-llm\n"
                          "      match: {service: svc-llm}\n"
                          "      guards: {cooldown_secs: 0, max_runs: 0, max_concurrent: 0}\n"
                          "      actions: [{type: suggest}]\n") +
                       "llm:\n"
                       "  enabled: true\n"
                       "  provider:\n"
                       "    type: openai\n"
                       "    base_url: " + llm.base_url() + "/v1\n"
                       "    model: gpt-4o-mini\n"
                       "    api_key_env: SELFHEAL_TEST_LLM_KEY\n");
  test::ServeProcess serve(dir.path().string(), config,
                           {{"SELFHEAL_TEST_LLM_KEY", "sk-test-key"}, {"SELFHEAL_TEST_PD_KEY", "pd-routing-key"}});

  const auto planted = lines_to_plant();
  const std::vector<std::string> services = {"svc-notify", "svc-http", "svc-approve", "svc-llm"};
  json streams = json::array();
  auto t = now_ns();
  for (const auto& svc : services) {
    json values = json::array();
    for (const auto& p : planted) values.push_back({std::to_string(t++), "ERROR " + p.text});
    streams.push_back({{"stream", {{"service", svc}, {"host", "node-1"}, {"level", "error"}}}, {"values", values}});
  }
  REQUIRE(test::http_post(serve.base_url(), "/loki/api/v1/push", json{{"streams", streams}}.dump()).status == 204);

  // Every path is exercised once per fingerprint of its service (the approval path at least once).
  std::size_t n_notify = 0, n_http = 0, n_llm = 0;
  REQUIRE(test::wait_until(
      [&] {
        n_notify = fingerprints_of(serve, "svc-notify");
        n_http = fingerprints_of(serve, "svc-http");
        n_llm = fingerprints_of(serve, "svc-llm");
        return n_notify >= 10 && n_http >= 10 && n_llm >= 10;
      },
      20s));
  const bool all_sent = test::wait_until(
      [&] {
        std::size_t approvals = 0;
        for (const auto& b : bodies_at(rx, "/json"))
          if (json::parse(b, nullptr, false).value("kind", std::string()) == "approval_request") ++approvals;
        return bodies_at(rx, "/slack").size() >= n_notify && bodies_at(rx, "/pd").size() >= n_notify &&
               bodies_at(rx, "/heal").size() >= n_http && llm.requests() >= n_llm && approvals >= 1;
      },
      60s);
  CAPTURE(n_notify);
  CAPTURE(n_http);
  CAPTURE(n_llm);
  CAPTURE(llm.requests());
  CAPTURE(bodies_at(rx, "/heal").size());
  if (!all_sent) MESSAGE(runs(serve, "&strategy=ask-the-llm").dump().substr(0, 3000));
  REQUIRE(all_sent);

  struct Kind {
    std::string name;
    std::vector<std::string> bodies;
  };
  std::vector<Kind> kinds = {{"llm prompt", llm.bodies()},
                             {"notify json (and approval requests)", bodies_at(rx, "/json")},
                             {"notify slack", bodies_at(rx, "/slack")},
                             {"notify pagerduty", bodies_at(rx, "/pd")},
                             {"http action", bodies_at(rx, "/heal")}};
  std::size_t total = 0;
  for (const auto& k : kinds) {
    CAPTURE(k.name);
    REQUIRE_FALSE(k.bodies.empty());
    bool redacted_here = false;  // the secrets did reach this path and were replaced there
    for (const auto& body : k.bodies) {
      ++total;
      redacted_here = redacted_here || body.find("[REDACTED:") != std::string::npos;
      for (const auto& p : planted) {
        CAPTURE(p.text);
        CHECK_MESSAGE(body.find(p.secret) == std::string::npos, body.substr(0, 400));
      }
    }
    CHECK(redacted_here);
  }
  MESSAGE("outbound bodies checked: " << total << ", planted secrets: " << planted.size());
  // The targets a remediation needs stay verbatim (identity fields pass the argv check).
  CHECK(json::parse(bodies_at(rx, "/heal").front())["service"] == "svc-http");
  CHECK(json::parse(bodies_at(rx, "/heal").front())["host"] == "node-1");
  serve.stop();
}
