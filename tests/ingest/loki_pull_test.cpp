// Loki pull: the pure cursor decisions (tables) and the source against a local query_range server
// that pages, throttles (429) and fails (500); a restarted source neither skips nor repeats.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "ingest/loki_pull.hpp"
#include "schema/clock.hpp"
#include "schema/metrics.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/loki_query_server.hpp"

using namespace selfheal;
using namespace selfheal::ingest;

namespace {

PulledEntry entry(std::int64_t ts, std::string line, std::string app = "a") {
  return PulledEntry{{{"app", std::move(app)}}, ts, std::move(line), 0};
}

// Keys the way parse_query_range does, via a round trip through the JSON shape.
std::vector<PulledEntry> keyed(const std::vector<PulledEntry>& in) {
  nlohmann::json result = nlohmann::json::array();
  for (const auto& e : in) {
    nlohmann::json stream = nlohmann::json::object();
    for (const auto& [k, v] : e.labels) stream[k] = v;
    nlohmann::json value = nlohmann::json::array({std::to_string(e.ts_ns), e.line});
    result.push_back({{"stream", stream}, {"values", nlohmann::json::array({value})}});
  }
  nlohmann::json doc = {{"status", "success"}, {"data", {{"resultType", "streams"}, {"result", result}}}};
  auto r = parse_query_range(doc.dump());
  REQUIRE(r);
  return *r;
}

/// The shared local Loki (tests/support/loki_query_server.hpp) fed with PulledEntry values.
class FakeLoki {
 public:
  void add(const PulledEntry& e) {
    test::LokiQueryServer::Entry x;
    x.labels = {e.labels.begin(), e.labels.end()};
    x.ts_ns = e.ts_ns;
    x.line = e.line;
    loki_.add(std::move(x));
  }
  void fail_next(int status, std::string retry_after = {}) {
    loki_.script_next({status, "overloaded", "text/plain", std::move(retry_after)});
  }
  int requests() { return loki_.requests(); }
  std::string last_tenant() { return loki_.last_tenant(); }
  std::string url() const { return loki_.url(); }

 private:
  test::LokiQueryServer loki_;
};

LokiPullConfig config_for(const FakeLoki& loki) {
  LokiPullConfig c;
  c.name = "pull";
  c.url = loki.url();
  c.query = R"({app=~".+"})";
  c.tenant = "team-x";
  c.limit = 4;
  c.poll_interval_ms = 1000;
  c.settle_lag_ms = 0;
  c.start_lookback_ms = 3'600'000;
  c.backoff_min_ms = 100;
  c.backoff_max_ms = 1000;
  c.multiline = false;
  return c;
}

}  // namespace

TEST_CASE("the cursor round-trips as text and rejects garbage") {
  PullCursor c{1732300000123456789LL, {1, 0xdeadbeefcafef00dULL}};
  auto d = PullCursor::decode(c.encode());
  REQUIRE(d);
  CHECK(*d == c);
  CHECK(PullCursor::decode("5;")->seen.empty());
  CHECK(!PullCursor::decode(""));
  CHECK(!PullCursor::decode("12x;"));
  CHECK(!PullCursor::decode("12;zz"));
  CHECK(!PullCursor::decode("1.5e18;"));
}

TEST_CASE("query_range targets use integer nanoseconds, forward, and an encoded query") {
  auto t = query_range_target("/gw/", R"({app="x"} |= "a b")", 1732300000123456789LL, 1732300060000000000LL, 1000);
  CHECK(t.rfind("/gw/loki/api/v1/query_range?query=", 0) == 0);
  CHECK(t.find("start=1732300000123456789&end=1732300060000000000&limit=1000&direction=forward") != std::string::npos);
  CHECK(t.find(' ') == std::string::npos);
  CHECK(t.find('"') == std::string::npos);
}

TEST_CASE("parse_query_range flattens streams, sorts by time and keys identical entries apart") {
  auto r = parse_query_range(R"({"status":"success","data":{"resultType":"streams","result":[
      {"stream":{"app":"b"},"values":[["30","z"],["10","y"]]},
      {"stream":{"app":"a"},"values":[["20","x"],["20","x"]]}],"stats":{"summary":{}}}})");
  REQUIRE(r);
  REQUIRE(r->size() == 4);
  CHECK((*r)[0].ts_ns == 10);
  CHECK((*r)[1].line == "x");
  CHECK((*r)[1].key != (*r)[2].key);  // the same line twice at one timestamp is two entries
  CHECK((*r)[3].ts_ns == 30);
  CHECK(parse_query_range(R"({"status":"success","data":{"resultType":"matrix","result":[]}})").error().code ==
        ErrorCode::config);
  CHECK(!parse_query_range("not json"));
  CHECK(!parse_query_range(R"({"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[[1,"x"]]}]}})"));
}

TEST_CASE("advance: entries already delivered at the cursor timestamp are dropped, the cursor moves to the last one") {
  struct Case {
    const char* name;
    PullCursor cursor;
    std::vector<PulledEntry> page;
    std::size_t limit;
    std::vector<std::string> fresh;
    std::int64_t next_ts;
    std::size_t next_seen;
    bool full, stuck;
  };
  auto page1 = keyed({entry(10, "a"), entry(20, "b"), entry(20, "c"), entry(30, "d")});
  auto k = [&](std::size_t i) { return page1[i].key; };
  const Case cases[] = {
      {"first page", {0, {}}, page1, 10, {"a", "b", "c", "d"}, 30, 1, false, false},
      {"restart at 20 having seen b", {20, {k(1)}}, keyed({entry(20, "b"), entry(20, "c"), entry(30, "d")}), 10, {"c", "d"}, 30, 1, false, false},
      {"page cut inside a timestamp group", {10, {k(0)}}, keyed({entry(10, "a"), entry(20, "b")}), 2, {"b"}, 20, 1, true, false},
      {"same timestamp continues: seen set grows", {20, {k(1)}}, keyed({entry(20, "b"), entry(20, "c")}), 2, {"c"}, 20, 2, true, false},
      {"full page of seen entries is stuck", {20, {k(1), k(2)}}, keyed({entry(20, "b"), entry(20, "c")}), 2, {}, 20, 2, true, true},
      {"nothing new", {30, {k(3)}}, keyed({entry(30, "d")}), 10, {}, 30, 1, false, false},
      {"older entries are ignored", {30, {}}, keyed({entry(10, "a"), entry(40, "e")}), 10, {"e"}, 40, 1, false, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto step = advance(c.cursor, c.page, c.limit);
    std::vector<std::string> got;
    for (const auto& e : step.fresh) got.push_back(e.line);
    CHECK(got == c.fresh);
    CHECK(step.next.ts_ns == c.next_ts);
    CHECK(step.next.seen.size() == c.next_seen);
    CHECK(step.full == c.full);
    CHECK(step.stuck == c.stuck);
  }
}

TEST_CASE("retry_delay honours Retry-After seconds and dates and clamps") {
  using std::chrono::milliseconds;
  const UnixMs now = 1'700'000'000'000;  // Tue, 14 Nov 2023 22:13:20 GMT
  CHECK(retry_delay("", milliseconds(500), milliseconds(60'000), now) == milliseconds(500));
  CHECK(retry_delay("soon", milliseconds(500), milliseconds(60'000), now) == milliseconds(500));
  CHECK(retry_delay("3", milliseconds(500), milliseconds(60'000), now) == milliseconds(3000));
  CHECK(retry_delay("3600", milliseconds(500), milliseconds(60'000), now) == milliseconds(60'000));
  CHECK(retry_delay("Tue, 14 Nov 2023 22:13:27 GMT", milliseconds(700), milliseconds(60'000), now) == milliseconds(7000));
  CHECK(retry_delay("Wed, 21 Oct 2015 07:28:00 GMT", milliseconds(700), milliseconds(60'000), now) == milliseconds(0));
}

TEST_CASE("the pull source pages through query_range, backs off on 429 and 500, and resumes exactly from its cursor") {
  FakeLoki loki;
  FakeClock clock(1'800'000'000'000);
  Metrics metrics;
  const std::int64_t t0 = (clock.now_ms() - 60'000) * 1'000'000;
  // 11 entries over 2 streams, with 3 sharing one timestamp (pages of 4 cut through them).
  for (int i = 0; i < 8; ++i) loki.add(entry(t0 + i * 1'000'000, "ERROR line " + std::to_string(i), i % 2 ? "b" : "a"));
  for (int i = 0; i < 3; ++i) loki.add(entry(t0 + 9'000'000, "ERROR same ts " + std::to_string(i), "c"));

  std::multiset<std::string> got;
  std::string stored;
  auto drain = [&](LokiPullSource& src, int max_polls) {
    for (int p = 0; p < max_polls; ++p) {
      auto b = src.poll(std::chrono::milliseconds(0));
      if (!b) continue;  // an error: the source set its own backoff
      for (const auto& e : b->events) got.insert(e.message);
      for (const auto& pos : b->positions) stored = pos.value;
    }
  };
  {
    LokiPullSource src(config_for(loki), clock, metrics);
    REQUIRE(src.start({}));
    loki.fail_next(429, "2");
    auto r = src.poll(std::chrono::milliseconds(0));
    REQUIRE(!r);
    CHECK(r.error().code == ErrorCode::unavailable);
    CHECK(!src.health().ok);
    // Retry-After: 2 -> nothing is asked before two seconds have passed.
    const int before = loki.requests();
    CHECK(src.poll(std::chrono::milliseconds(0))->empty());
    CHECK(loki.requests() == before);
    clock.advance_ms(2000);
    loki.fail_next(500);
    CHECK(!src.poll(std::chrono::milliseconds(0)));
    clock.advance_ms(200);  // backoff doubled from 100 ms
    drain(src, 6);          // pages of 4: 4 + 4 + 3, then an empty page
    CHECK(src.health().ok);
    CHECK(loki.last_tenant() == "team-x");
  }
  CHECK(got.size() == 11);
  CHECK(std::set<std::string>(got.begin(), got.end()).size() == 11);

  // New lines arrive, including one more at the last timestamp; a new source resumes from the stored cursor.
  loki.add(entry(t0 + 9'000'000, "ERROR same ts 3", "c"));
  loki.add(entry(t0 + 10'000'000, "ERROR after restart", "a"));
  LokiPullSource again(config_for(loki), clock, metrics);
  REQUIRE(again.start({{"pull", "cursor", stored}}));
  clock.advance_ms(5000);
  drain(again, 4);
  CHECK(got.size() == 13);
  CHECK(std::set<std::string>(got.begin(), got.end()).size() == 13);
  CHECK(got.count("ERROR same ts 3") == 1);
  CHECK(got.count("ERROR after restart") == 1);
}
