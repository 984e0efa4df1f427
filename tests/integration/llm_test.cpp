// LLM suggestions end to end: one provider call per fingerprint however many events and requests,
// the cache, and `selfheal serve` + Loki push + API + CLI review + calibration against a local
// fake OpenAI server. No test reaches the internet.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <nlohmann/json.hpp>
#include <string>

#include "app/api_suggestions.hpp"
#include "llm/budget.hpp"
#include "llm/openai_compatible.hpp"
#include "llm/worker.hpp"
#include "schema/sqlite_healing_store.hpp"
#include "schema/sqlite_store.hpp"
#include "schema/sqlite_suggestion_store.hpp"
#include "schema/write_batch.hpp"
#include "tests/contract/fake_llm_server.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string llm_key = "sk-integration-KEY-00000000000000";

FingerprintInfo cart_fingerprint() {
  FingerprintInfo fp;
  fp.id = "c0ffee00c0ffee00";
  fp.template_text = "Failed to compute total for cart <*>";
  fp.exception_type = "java.lang.NullPointerException";
  fp.frames_json =
      R"([{"module":"com.shop.cart.CartService","function":"total","file":"CartService.java","line":42,"in_app":true}])";
  return fp;
}

LogEvent event(UnixMs ts, int i) {
  LogEvent e;
  e.ts = ts;
  e.message = "Failed to compute total for cart " + std::to_string(i) +
              "\njava.lang.NullPointerException\n\tat com.shop.cart.CartService.total(CartService.java:42)";
  e.source = "test";
  e.service = "cart";
  e.host = "node-1";
  e.level = Severity::error;
  return e;
}

}  // namespace

TEST_CASE("llm: 10,000 events of one fingerprint trigger exactly one provider call; the same context hits the cache") {
  test::TempDir dir;
  FakeClock clock(1'800'000'000'000);
  auto db = SqliteDb::open(SqliteOptions{dir.file("selfheal.db")});
  REQUIRE(db.has_value());
  SqliteStore store(*db, clock);
  SqliteSuggestionStore suggestions(*db);
  test::FakeLlmServer srv(test::LlmWire::openai);
  auto cfg = llm::openai_config(srv.base_url() + "/v1", "gpt-4o-mini", llm_key);
  llm::OpenAiCompatibleProvider provider(cfg, llm::make_curl_http_client());
  auto redactor = std::move(Redactor::create({})).value();
  llm::ServiceOptions opts;
  llm::SuggestionService service(store, suggestions, provider, *redactor, clock, opts);
  llm::LlmWorker worker(service, 100);
  worker.start();

  // Events arrive in 10 commits of 1,000; the worst-case trigger (a healer `suggest` action firing
  // for every single event) asks for a suggestion 10,000 times while they do.
  const auto fp = cart_fingerprint();
  int requested = 0;
  for (int batch = 0; batch < 10; ++batch) {
    WriteBatch wb;
    for (int i = 0; i < 1000; ++i) {
      LogEvent e = event(clock.now_ms(), batch * 1000 + i);
      wb.count(e, true);
      wb.add(e, fp, Severity::error);
    }
    REQUIRE(store.commit(wb).has_value());
    for (int i = 0; i < 1000; ++i, ++requested) REQUIRE(worker.request(fp.id, false, "healer").has_value());
    clock.advance(1s);
  }
  CHECK(requested == 10'000);
  REQUIRE(test::wait_until([&] { return worker.idle(); }, 30s));
  auto summary = store.fingerprint(fp.id);
  REQUIRE(summary.has_value());
  CHECK((*summary)->count == 10'000);
  CHECK(srv.requests() == 1);
  auto stats = worker.stats();
  CHECK(stats.requested == 10'000);
  CHECK(stats.created == 1);
  CHECK(stats.created + stats.cached + stats.deduplicated == 10'000);
  auto list = suggestions.suggestions(SuggestionQuery{});
  REQUIRE(list.has_value());
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].prompt_tokens == 88);
  CHECK((*list)[0].completion_tokens == 41);
  auto usage = suggestions.budget(llm::utc_day(clock.now_ms()));
  REQUIRE(usage.has_value());
  CHECK(usage->calls == 1);
  CHECK(usage->tokens == 129);
  worker.stop();

  // The same context asked twice: no reuse window, so only the cache can answer the second time.
  // (The first may call the provider: the samples rotated while 9,000 more events arrived.)
  llm::ServiceOptions no_reuse = opts;
  no_reuse.refresh_after_ms = 0;
  llm::SuggestionService fresh(store, suggestions, provider, *redactor, clock, no_reuse);
  auto first = fresh.run(fp.id, false, "api");
  REQUIRE(first.has_value());
  REQUIRE(first->outcome != llm::RunOutcome::failed);
  const auto calls = srv.requests();
  auto again = fresh.run(fp.id, false, "api");
  REQUIRE(again.has_value());
  CHECK(again->outcome == llm::RunOutcome::cached);
  CHECK(again->suggestion_id == first->suggestion_id);
  CHECK(srv.requests() == calls);
  auto cached_attempts = suggestions.attempts(fp.id, 1);
  REQUIRE(cached_attempts.has_value());
  CHECK((*cached_attempts)[0].outcome == "cached");
  // force=true bypasses reuse and cache: a real call, so the counter above could have moved.
  auto forced = fresh.run(fp.id, true, "api");
  REQUIRE(forced.has_value());
  CHECK(forced->outcome == llm::RunOutcome::created);
  CHECK(srv.requests() == calls + 1);
}

TEST_CASE("llm: the daily call budget stops calls and records why") {
  test::TempDir dir;
  FakeClock clock(1'800'000'000'000);
  auto db = SqliteDb::open(SqliteOptions{dir.file("selfheal.db")});
  REQUIRE(db.has_value());
  SqliteStore store(*db, clock);
  SqliteSuggestionStore suggestions(*db);
  test::FakeLlmServer srv(test::LlmWire::openai);
  llm::OpenAiCompatibleProvider provider(llm::openai_config(srv.base_url() + "/v1", "m", llm_key),
                                         llm::make_curl_http_client());
  auto redactor = std::move(Redactor::create({})).value();
  llm::ServiceOptions opts;
  opts.budget.daily_calls = 1;
  llm::SuggestionService service(store, suggestions, provider, *redactor, clock, opts);
  WriteBatch wb;
  LogEvent e = event(clock.now_ms(), 1);
  wb.add(e, cart_fingerprint(), Severity::error);
  REQUIRE(store.commit(wb).has_value());
  REQUIRE(service.run(cart_fingerprint().id, true, "api")->outcome == llm::RunOutcome::created);
  auto over = service.run(cart_fingerprint().id, true, "api");
  REQUIRE(over.has_value());
  CHECK(over->outcome == llm::RunOutcome::over_budget);
  CHECK(srv.requests() == 1);
  // the next UTC day has a fresh budget
  clock.advance(24h);
  CHECK(service.run(cart_fingerprint().id, true, "api")->outcome == llm::RunOutcome::created);
  CHECK(srv.requests() == 2);
}

TEST_CASE("llm: a cut-off answer is kept as a failed attempt with its raw text") {
  test::TempDir dir;
  FakeClock clock(1'800'000'000'000);
  auto db = SqliteDb::open(SqliteOptions{dir.file("selfheal.db")});
  REQUIRE(db.has_value());
  SqliteStore store(*db, clock);
  SqliteSuggestionStore suggestions(*db);
  test::FakeLlmServer srv(test::LlmWire::openai);
  srv.set_default({200, srv.answer("{\"summary\":\"Cart tot", "length"), {}});
  llm::OpenAiCompatibleProvider provider(llm::openai_config(srv.base_url() + "/v1", "m", llm_key),
                                         llm::make_curl_http_client());
  auto redactor = std::move(Redactor::create({})).value();
  llm::SuggestionService service(store, suggestions, provider, *redactor, clock, llm::ServiceOptions{});
  WriteBatch wb;
  wb.add(event(clock.now_ms(), 1), cart_fingerprint(), Severity::error);
  REQUIRE(store.commit(wb).has_value());
  auto r = service.run(cart_fingerprint().id, false, "api");
  REQUIRE(r.has_value());
  CHECK(r->outcome == llm::RunOutcome::failed);
  auto attempts = suggestions.attempts(cart_fingerprint().id, 10);
  REQUIRE(attempts.has_value());
  REQUIRE(attempts->size() == 1);
  CHECK((*attempts)[0].outcome == "failed");
  CHECK((*attempts)[0].raw == "{\"summary\":\"Cart tot");
  CHECK((*attempts)[0].error.find("cut off") != std::string::npos);
  CHECK(suggestions.suggestions(SuggestionQuery{})->empty());
}

TEST_CASE("llm: the healer's log reaches the context, and a successful strategy raises the confidence") {
  test::TempDir dir;
  FakeClock clock(1'800'000'000'000);
  auto db = SqliteDb::open(SqliteOptions{dir.file("selfheal.db")});
  REQUIRE(db.has_value());
  SqliteStore store(*db, clock);
  SqliteSuggestionStore suggestions(*db);
  test::FakeLlmServer srv(test::LlmWire::openai);
  llm::OpenAiCompatibleProvider provider(llm::openai_config(srv.base_url() + "/v1", "m", llm_key),
                                         llm::make_curl_http_client());
  auto redactor = std::move(Redactor::create({})).value();
  SqliteHealingStore log(*db);
  auto history = app::make_healing_history(log);
  llm::SuggestionService service(store, suggestions, provider, *redactor, clock, llm::ServiceOptions{}, history.get());
  WriteBatch wb;
  wb.add(event(clock.now_ms(), 1), cart_fingerprint(), Severity::error);
  REQUIRE(store.commit(wb).has_value());
  HealingRun run;
  run.ts = clock.now_ms();
  run.strategy = "restart-cart";
  run.fingerprint_id = cart_fingerprint().id;
  run.action = "restart_unit";
  run.action_type = "exec";
  run.decision = "ran";
  run.outcome = "success";
  run.verification = "verified";
  run.detail = "stderr: password=hunter2hunter";
  REQUIRE(log.append(run).has_value());
  auto body = service.preview(cart_fingerprint().id);
  REQUIRE(body.has_value());
  CHECK(body->find("restart-cart/restart_unit: success, verification verified") != std::string::npos);
  auto r = service.run(cart_fingerprint().id, false, "api");
  REQUIRE(r.has_value());
  REQUIRE(r->outcome == llm::RunOutcome::created);
  auto s = suggestions.suggestion(r->suggestion_id);
  REQUIRE(s.has_value());
  json detail = json::parse((*s)->confidence_detail_json);
  CHECK(detail["strategy_succeeded"] == true);
  CHECK(detail["history_factor"].get<double>() == doctest::Approx(1.1));
}

TEST_CASE("llm config: unknown keys and inline keys are rejected with file:line:col") {
  test::TempDir dir;
  const std::string config = dir.file("bad.yaml");
  test::write_file(config,
                   "llm:\n"
                   "  provider:\n"
                   "    type: openai\n"
                   "    api_key: sk-inline-NOPE\n"
                   "    colour: blue\n"
                   "  redact:\n"
                   "    patterns: ['(unclosed']\n");
  auto r = test::run({test::selfheal_binary(), "config", "check", "-c", config});
  CHECK(r.exit_code == 2);
  CAPTURE(r.err);
  CHECK(r.err.find("bad.yaml:4:") != std::string::npos);  // api_key: never inline
  CHECK(r.err.find("bad.yaml:5:") != std::string::npos);  // colour: unknown
  CHECK(r.err.find("api_key_env") != std::string::npos);
  CHECK(r.err.find("not valid RE2") != std::string::npos);
  CHECK(r.err.find("sk-inline-NOPE") == std::string::npos);
  CHECK(r.out.find("sk-inline-NOPE") == std::string::npos);
}

TEST_CASE("llm end to end: serve + Loki push -> suggestion via API -> accepted via CLI -> calibration counts it") {
  test::TempDir dir;
  test::FakeLlmServer srv(test::LlmWire::openai);
  // The model cites a real frame and one invented one: the displayed confidence must reflect that.
  srv.set_default({200,
                   srv.answer(json{{"summary", "Cart total fails on an empty cart"},
                                   {"root_cause", "items is null for carts never persisted"},
                                   {"suggested_fix", "Initialise items to an empty list"},
                                   {"evidence", {"com.shop.cart.CartService.total", "com.shop.Invented.frame"}},
                                   {"confidence", 0.9}}
                                  .dump()),
                   {}});
  const std::string config = dir.file("selfheal.yaml");
  test::write_file(config,
                   "llm:\n"
                   "  provider:\n"
                   "    type: openai\n"
                   "    base_url: " +
                       srv.base_url() +
                       "/v1\n"
                       "    model: gpt-4o-mini\n"
                       "    api_key_env: SELFHEAL_TEST_LLM_KEY\n"
                       "    token_limit_field: max_completion_tokens\n"
                       "  max_output_tokens: 600\n"
                       "  cost_per_1k_input_tokens: 0.15\n"
                       "  cost_per_1k_output_tokens: 0.6\n");
  test::ServeProcess serve(dir.path().string(), config, {{"SELFHEAL_TEST_LLM_KEY", llm_key}});

  // Errors pushed through the Loki JSON API; one carries a password that must not leave the machine.
  json streams = json::array();
  json values = json::array();
  const auto now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (int i = 0; i < 20; ++i) {
    values.push_back({std::to_string(now_ns + i),
                      "java.lang.NullPointerException: cart " + std::to_string(i) +
                          " password=hunter2hunter\n\tat com.shop.cart.CartService.total(CartService.java:42)\n"
                          "\tat com.shop.api.CartController.get(CartController.java:17)"});
  }
  streams.push_back({{"stream", {{"service", "cart"}, {"level", "error"}}}, {"values", values}});
  auto push = test::http_post(serve.base_url(), "/loki/api/v1/push", json{{"streams", streams}}.dump());
  REQUIRE(push.status == 204);

  // The fingerprint id, read from the database the server writes.
  std::string fp_id;
  REQUIRE(test::wait_until(
      [&] {
        SQLite::Database db(dir.file("selfheal.db"), SQLite::OPEN_READONLY);
        SQLite::Statement q(db, "SELECT id FROM fingerprints ORDER BY count DESC LIMIT 1");
        if (!q.executeStep()) return false;
        fp_id = q.getColumn(0).getString();
        return true;
      },
      15s));

  // --preview prints the exact body and sends nothing.
  auto preview = test::run({test::selfheal_binary(), "suggest", fp_id, "--preview", "--server", serve.base_url()});
  REQUIRE(preview.exit_code == 0);
  CHECK(json::parse(preview.out)["model"] == "gpt-4o-mini");
  CHECK(json::parse(preview.out)["max_completion_tokens"] == 600);
  CHECK(srv.requests() == 0);

  auto ask = test::http_post(serve.base_url(), "/api/v1/fingerprints/" + fp_id + "/suggest", "{}");
  REQUIRE(ask.status == 202);
  json item;
  REQUIRE(test::wait_until(
      [&] {
        auto r = test::http_get(serve.base_url(), "/api/v1/suggestions?fingerprint=" + fp_id);
        if (r.status != 200) return false;
        json j = json::parse(r.body);
        if (j["items"].empty()) return false;
        item = j["items"][0];
        return true;
      },
      20s));
  CHECK(srv.requests() == 1);
  CHECK(item["status"] == "proposed");
  CHECK(item["model_confidence"].get<double>() == doctest::Approx(0.9));
  // one of two citations found: evidence factor 0.7; 20 events: occurrence factor 0.73
  CHECK(item["confidence"].get<double>() < 0.9);
  CHECK(item["confidence"].get<double>() > 0.3);
  REQUIRE(item["evidence"].size() == 2);
  CHECK(item["evidence"][0]["supported"] == true);
  CHECK(item["evidence"][1]["supported"] == false);
  CHECK(item["usage"]["prompt_tokens"] == 88);
  CHECK(item["usage"]["cost_usd"].get<double>() > 0);
  CHECK(srv.authorizations()[0] == "Bearer " + llm_key);
  CHECK(srv.bodies()[0].find("hunter2hunter") == std::string::npos);
  CHECK(srv.bodies()[0].find("CartService") != std::string::npos);

  const std::string sid = std::to_string(item["id"].get<std::int64_t>());
  auto accept = test::run({test::selfheal_binary(), "review", "--server", serve.base_url(), "accept", sid, "--comment",
                           "matches the heap dump", "--who", "oncall"});
  CAPTURE(accept.err);
  REQUIRE(accept.exit_code == 0);
  auto detail = test::http_get(serve.base_url(), "/api/v1/suggestions/" + sid);
  REQUIRE(detail.status == 200);
  json d = json::parse(detail.body);
  CHECK(d["status"] == "accepted");
  CHECK(d["review"]["by"] == "anonymous");  // no token configured: --who is not believed (issue 15)
  CHECK(d["review"]["comment"] == "matches the heap dump");
  // accepting twice is a conflict
  auto again = test::run({test::selfheal_binary(), "review", "--server", serve.base_url(), "accept", sid});
  CHECK(again.exit_code != 0);

  auto cal = test::http_get(serve.base_url(), "/api/v1/suggestions/calibration");
  REQUIRE(cal.status == 200);
  json c = json::parse(cal.body);
  CHECK(c["reviewed"] == 1);
  CHECK(c["accepted"] == 1);
  double conf = item["confidence"].get<double>();
  CHECK(c["brier"].get<double>() == doctest::Approx((1 - conf) * (1 - conf)));
  int counted = 0;
  for (const auto& b : c["buckets"]) counted += b["reviewed"].get<int>();
  CHECK(counted == 1);

  // `selfheal suggest` on the DB file (no --server) reuses the fresh suggestion: no new call.
  auto direct =
      test::run({test::selfheal_binary(), "suggest", fp_id, "--json", "-c", config, "-d", dir.path().string()}, {},
                {{"SELFHEAL_TEST_LLM_KEY", llm_key}});
  CAPTURE(direct.err);
  REQUIRE(direct.exit_code == 0);
  CHECK(json::parse(direct.out)["id"].get<std::int64_t>() == item["id"].get<std::int64_t>());
  CHECK(srv.requests() == 1);
  auto metrics = test::http_get(serve.base_url(), "/metrics");
  CHECK(metrics.body.find("selfheal_llm_requests_total{outcome=\"created\"} 1") != std::string::npos);
  CHECK(serve.stop() == 0);
}
