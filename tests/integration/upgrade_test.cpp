// Issue 13: a store written by fingerprint algorithm 1 (tests/data/upgrade/v1-store.db, made by the
// last version-1 build) opened by today's `selfheal serve`: every lifecycle state, merge and audit
// row survives, and new events of the old errors keep counting on the old fingerprints.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "fingerprint/fingerprint.hpp"
#include "schema/sqlite_db.hpp"
#include "schema/sqlite_lifecycle.hpp"
#include "schema/clock.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using nlohmann::json;

namespace {
struct Row {
  std::string status, merged_into;
  std::int64_t total = 0;
  int version = 0;
};
std::map<std::string, Row> rows(const std::string& db_path) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT id, status, merged_into, count + merged_count, algorithm_version FROM fingerprints");
  std::map<std::string, Row> out;
  while (q.executeStep())
    out[q.getColumn(0).getString()] = {q.getColumn(1).getString(), q.getColumn(2).getString(), q.getColumn(3).getInt64(),
                                       q.getColumn(4).getInt()};
  return out;
}
std::vector<std::string> audit(const std::string& db_path) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT actor || ' ' || action || ' ' || subject || ' ' || detail FROM audit_log ORDER BY id");
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}
}  // namespace

TEST_CASE("an upgrade from an algorithm-1 store keeps every state, merge and audit row") {
  test::TempDir dir;
  const std::string data = dir.file("data");
  std::filesystem::create_directories(data);
  const std::string db = data + "/selfheal.db";
  std::filesystem::copy_file(std::string(SELFHEAL_SOURCE_DIR) + "/tests/data/upgrade/v1-store.db", db);
  const auto before = rows(db);
  const auto audit_before = audit(db);
  REQUIRE(before.size() == 8);
  REQUIRE(audit_before.size() == 4);
  for (const auto& [id, r] : before) REQUIRE(r.version == 1);

  {
    test::ServeProcess serve(data, {},
                             {{"SELFHEAL_FINGERPRINT_LEARN_INTERVAL_MS", "0"}, {"SELFHEAL_PIPELINE_MIN_SEVERITY", "debug"}});
    CHECK(serve.log().find("Upgraded fingerprint ids") != std::string::npos);
    // The same errors again, as a shipper sends them after the upgrade.
    const std::int64_t ts = 1'795'464'000'000'000'000LL;
    json values = json::array({{std::to_string(ts), "ERROR disk full on /var/lib/data"},
                               {std::to_string(ts + 1), "ERROR session opened for user bob from 10.0.0.9:22"},
                               {std::to_string(ts + 2), "ERROR payment declined for order 777"},
                               {std::to_string(ts + 3), "java.lang.IllegalStateException: broken\n\tat "
                                                        "com.acme.pay.Service.charge(Service.java:42)\n\tat "
                                                        "com.acme.pay.Api.post(Api.java:10)"}});
    json body = {{"streams", {{{"stream", {{"service", "payments"}, {"host", "web-1"}}}, {"values", values}}}}};
    auto r = test::http_post(serve.base_url(), "/loki/api/v1/push", body.dump());
    REQUIRE_MESSAGE(r.status == 204, r.body);
    REQUIRE(test::wait_until([&] {
      auto st = json::parse(test::http_get(serve.base_url(), "/api/v1/stats").body);
      return st["totals"]["events"].get<std::int64_t>() >= 4;
    }));
    CHECK(serve.stop() == 0);
  }

  const auto after = rows(db);
  // Every old row is still there with its state and merge; each is now marked upgraded.
  for (const auto& row_ : before) {
    const auto& id = std::get<0>(row_);  // no structured binding: clang 14 cannot capture one
    const auto& r = std::get<1>(row_);
    CAPTURE(id);
    REQUIRE(after.count(id) == 1);
    CHECK(after.at(id).status == r.status);
    CHECK(after.at(id).merged_into == r.merged_into);
    CHECK(after.at(id).version == fingerprint::algorithm_version);
  }
  // Every old audit row is kept, first and unchanged.
  const auto audit_after = audit(db);
  REQUIRE(audit_after.size() > audit_before.size());
  for (std::size_t i = 0; i < audit_before.size(); ++i) CHECK(audit_after[i] == audit_before[i]);
  // The new ids of the old errors are merged into the old fingerprints, audited as the upgrade.
  std::size_t upgrade_merges = 0;
  for (const auto& row_ : after) {
    const auto& id = std::get<0>(row_);  // no structured binding: clang 14 cannot capture one
    const auto& r = std::get<1>(row_);
    if (before.count(id)) continue;
    CAPTURE(id);
    CHECK(!r.merged_into.empty());
    CHECK(before.count(r.merged_into) == 1);
    ++upgrade_merges;
  }
  CHECK(upgrade_merges >= 7);
  for (std::size_t i = audit_before.size(); i < audit_after.size(); ++i)
    CHECK(audit_after[i].rfind("upgrade ", 0) == 0);
  // New events counted on the fingerprints people know: the resolved "disk full" regressed (same
  // fingerprint, one more event), bob's event counts on alice's (a person's merge), the ignored one
  // counts toward its 100 more events, the trace on the resolved trace.
  CHECK(after.at("20263c755ddb89fb").total == before.at("20263c755ddb89fb").total + 1);
  CHECK(after.at("bc7de98ba66b5bf4").total == before.at("bc7de98ba66b5bf4").total + 1);
  CHECK(after.at("4b0eee39170ee126").total == before.at("4b0eee39170ee126").total + 1);
  CHECK(after.at("4b0eee39170ee126").status == "ignored");
  CHECK(after.at("c18ebef495a7862b").total == before.at("c18ebef495a7862b").total + 1);

  // A second start has nothing left to upgrade and changes nothing.
  {
    test::ServeProcess serve(data, {}, {{"SELFHEAL_FINGERPRINT_LEARN_INTERVAL_MS", "0"}});
    CHECK(serve.log().find("Upgraded fingerprint ids") == std::string::npos);
    CHECK(serve.stop() == 0);
  }
  CHECK(rows(db).size() == after.size());
  CHECK(audit(db).size() == audit_after.size());
}

TEST_CASE("an upgrade that stopped between creating a new id and merging it finishes on the next start") {
  test::TempDir dir;
  const std::string data = dir.file("data");
  std::filesystem::create_directories(data);
  const std::string db = data + "/selfheal.db";
  std::filesystem::copy_file(std::string(SELFHEAL_SOURCE_DIR) + "/tests/data/upgrade/v1-store.db", db);
  // The new id of "disk full" (resolved by a person in version 1), as today's engine computes it.
  auto r = test::run({test::selfheal_binary(), "fingerprint", "--no-learn"}, "ERROR disk full on /var/lib/data\n");
  REQUIRE(r.exit_code == 0);
  const std::string new_id = r.out.substr(0, r.out.find('\t'));
  REQUIRE(new_id.size() == 16);
  {
    // The first transaction of the upgrade of that row, then a crash: the row exists, unmerged.
    auto sdb = SqliteDb::open({db, 5000, false});
    REQUIRE(sdb);
    SystemClock clock;
    SqliteLifecycle lc(*sdb, clock);
    auto old = lc.fingerprints_before_version(fingerprint::algorithm_version);
    REQUIRE(old);
    const SqliteLifecycle::OldFingerprint* disk = nullptr;
    for (const auto& o : *old)
      if (o.id == "20263c755ddb89fb") disk = &o;
    REQUIRE(disk != nullptr);
    auto created = lc.ensure_upgraded(new_id, "disk full on <*>", "", "[]", *disk, fingerprint::algorithm_version);
    REQUIRE(created);
    CHECK(*created);
  }
  {
    test::ServeProcess serve(data, {}, {{"SELFHEAL_FINGERPRINT_LEARN_INTERVAL_MS", "0"}});
    CHECK(serve.stop() == 0);
  }
  const auto after = rows(db);
  REQUIRE(after.count(new_id) == 1);
  CHECK(after.at(new_id).merged_into == "20263c755ddb89fb");
  CHECK(after.at("20263c755ddb89fb").status == "resolved");
}
