// SELFHEAL_* environment overrides reach every section of a real `selfheal serve` (issue 16 item 5:
// SELFHEAL_HEALER_* used to be ignored, so SELFHEAL_HEALER_DRY_RUN=true still ran actions).
#include <doctest/doctest.h>

#include <csignal>

#include "tests/integration/healer_support.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace selfheal::healer_it;

namespace {

std::string restart_config(const Recorder& rec) {
  return header() +
         "  strategies:\n"
         "    - name: restart-orders\n"
         "      match: {service: orders, message_regex: 'OrderQueue stalled'}\n"
         "      actions:\n"
         "        - {type: exec, name: restart, argv: " +
         rec.argv_yaml({"restart", "{service}"}) + ", timeout_ms: 5000}\n";
}

bool has_decision(const test::ServeProcess& serve, const std::string& reason) {
  for (const auto& r : runs(serve))
    if (r.value("reason", std::string()) == reason || r.value("decision", std::string()) == reason) return true;
  return false;
}

}  // namespace

TEST_CASE("SELFHEAL_HEALER_DRY_RUN=true in the environment of serve: the strategy decides, the action never runs") {
  test::TempDir dir;
  Recorder rec(dir, 0);
  const std::string config = dir.file("selfheal.yaml");
  test::write_file(config, restart_config(rec));
  {
    test::ServeProcess serve(dir.file("data-dry"), config,
                             {{"SELFHEAL_HEALER_DRY_RUN", "true"}, {"SELFHEAL_HEALER_TICKMS", "5"}});
    push(serve, "orders", "ERROR OrderQueue stalled for 30s", 20);
    REQUIRE_MESSAGE(test::wait_until([&] { return has_decision(serve, "dry_run"); }, 15s), runs(serve).dump());
    // The decision is recorded; give a run that was wrongly allowed time to show up.
    std::this_thread::sleep_for(1s);
    CHECK(rec.lines().empty());
    CHECK(runs(serve, "&decision=ran").empty());
    // The typo'd variable is reported, not silently ignored.
    CHECK(serve.log().find("SELFHEAL_HEALER_TICKMS") != std::string::npos);
    CHECK(serve.stop(SIGTERM) == 0);
  }
  // The same config without the variable runs the action: the check above can fail.
  test::ServeProcess serve(dir.file("data-live"), config);
  push(serve, "orders", "ERROR OrderQueue stalled for 30s", 20);
  REQUIRE(test::wait_until([&] { return rec.lines().size() == 1; }, 15s));
  CHECK(rec.lines()[0] == "|restart|orders");
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("`config check` reads SELFHEAL_LLM_* and SELFHEAL_INGEST_*, names a bad variable, --explain has every key") {
  auto r = test::run({test::selfheal_binary(), "config", "check", "--explain"}, "",
                     {{"SELFHEAL_INGEST_LOKI_PUSH_MAX_LINE_BYTES", "4096"}, {"SELFHEAL_LLM_QUEUE_MAX", "7"}});
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  CHECK(r.out.find("ingest.loki_push.max_line_bytes = 4096 *") != std::string::npos);
  CHECK(r.out.find("llm.queue_max = 7 *") != std::string::npos);
  CHECK(r.out.find("healer.dry_run = false  # decide and record, never run anything") != std::string::npos);
  auto bad = test::run({test::selfheal_binary(), "config", "check"}, "", {{"SELFHEAL_LLM_QUEUE_MAX", "lots"}});
  CHECK(bad.exit_code == 2);
  CHECK_MESSAGE(
      bad.err.find("SELFHEAL_LLM_QUEUE_MAX (environment): llm.queue_max: expected an integer") != std::string::npos,
      bad.err);
}
