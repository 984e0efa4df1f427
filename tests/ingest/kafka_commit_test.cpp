// Table tests of the Kafka source's pure decisions (ingest/kafka_commit.hpp), plus a crash/replay
// simulation that checks the central promise: whatever point a consumer dies at (even again while
// replaying), every line ends up in exactly one emitted event.
#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ingest/kafka_commit.hpp"

using namespace selfheal::ingest::kafka;

TEST_CASE("a position key round-trips and malformed keys are refused") {
  CHECK(position_key({"app-logs", 3}) == "app-logs:3");
  auto tp = parse_position_key("app.logs_v2:12");
  REQUIRE(tp);
  CHECK(tp->topic == "app.logs_v2");
  CHECK(tp->partition == 12);
  for (const char* bad : {"", "topic", ":1", "topic:", "topic:-1", "topic:1x", "topic:99999999999"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_position_key(bad));
  }
}

TEST_CASE("a position without pending streams is a plain next offset") {
  PartitionPosition p{42, {}};
  CHECK(encode_position(p) == "42");
  CHECK(p.seek_offset() == 42);
  CHECK(decode_position("42") == p);
}

TEST_CASE("a position with pending streams round-trips and seeks to the oldest pending line") {
  PartitionPosition p{100, {{0xabcULL, 90}, {0xffffffffffffffffULL, 95}}};
  const auto s = encode_position(p);
  CHECK(s == "100;abc@90,ffffffffffffffff@95");
  CHECK(decode_position(s) == p);
  CHECK(p.seek_offset() == 90);
}

TEST_CASE("malformed stored positions are refused") {
  for (const char* bad : {"", "-1", "x", "10;", "10;ab", "10;ab@", "10;@5", "10;zz@5", "10;ab@10", "10;ab@-1",
                          "10;ab@5,", "10;ab@5,ab@6", "10 ", "10;ab@5;"}) {
    CAPTURE(bad);
    CHECK_FALSE(decode_position(bad));
  }
}

TEST_CASE("admission of records: revoked, stale, replayed and new") {
  struct Row {
    const char* why;
    bool assigned;
    std::int64_t expected;
    PartitionPosition resume;
    std::uint64_t stream;
    std::int64_t offset;
    Admission want;
    std::int64_t expected_after;
  };
  const PartitionPosition zone{100, {{7, 90}}};
  const Row rows[] = {
      {"not assigned: a late record after a revoke", false, 10, {}, 1, 10, Admission::reject_revoked, 10},
      {"unknown start accepts the first record", true, -1, {}, 1, 55, Admission::accept, 56},
      {"next expected record", true, 10, {}, 1, 10, Admission::accept, 11},
      {"gap (compaction, transaction markers) is fine", true, 10, {}, 1, 15, Admission::accept, 16},
      {"below expected: fetched before a seek", true, 10, {}, 1, 9, Admission::reject_stale, 10},
      {"replay zone, stream not pending: already counted", true, 90, zone, 3, 92, Admission::skip_counted, 93},
      {"replay zone, pending stream at its offset", true, 90, zone, 7, 90, Admission::accept, 91},
      {"replay zone, pending stream above its offset", true, 90, zone, 7, 99, Admission::accept, 100},
      {"end of the replay zone: everything is new", true, 100, zone, 3, 100, Admission::accept, 101},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    PartitionState st{r.expected, r.resume};
    CHECK(admit(r.assigned ? &st : nullptr, r.stream, r.offset) == r.want);
    CHECK(st.expected == r.expected_after);
  }
  // A pending stream's lines below its pending offset were emitted before the crash.
  PartitionState st{85, PartitionPosition{100, {{7, 90}, {8, 85}}}};
  CHECK(admit(&st, 7, 86) == Admission::skip_counted);
  CHECK(admit(&st, 8, 87) == Admission::accept);
}

TEST_CASE("the stored position never moves past a line that is still pending") {
  struct Row {
    const char* why;
    std::int64_t consumed_next;
    std::map<std::uint64_t, std::int64_t> live;
    PartitionPosition resume;
    PartitionPosition want;
  };
  const Row rows[] = {
      {"nothing pending: the next offset", 50, {}, {}, {50, {}}},
      {"one stream pending: seek to its first line", 50, {{1, 40}}, {}, {50, {{1, 40}}}},
      {"oldest of several pending streams", 50, {{1, 40}, {2, 45}}, {}, {50, {{1, 40}, {2, 45}}}},
      {"replay finished: the resume info is gone", 120, {{1, 110}}, {100, {{7, 90}}}, {120, {{1, 110}}}},
      {"replay not finished: keep next and the unread part of pending streams",
       96,
       {},
       {100, {{7, 90}}},
       {100, {{7, 96}}}},
      {"replay not finished, stream re-pending earlier", 96, {{7, 94}}, {100, {{7, 90}}}, {100, {{7, 94}}}},
      {"replay not reached a stream's pending offset yet", 92, {}, {100, {{7, 90}, {8, 95}}}, {100, {{7, 92}, {8, 95}}}},
      {"nothing consumed since the restart: same position", 90, {}, {100, {{7, 90}}}, {100, {{7, 90}}}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    const auto got = position_to_store(r.consumed_next, r.live, r.resume);
    CHECK(encode_position(got) == encode_position(r.want));
  }
}

TEST_CASE("start decision: the store wins unless the group committed past it") {
  const PartitionPosition mine{100, {{7, 90}}};
  struct Row {
    const char* why;
    std::optional<PartitionPosition> stored;
    std::optional<std::int64_t> committed;
    std::optional<std::int64_t> seek;
    bool stale;
    bool keeps_resume;
  };
  const Row rows[] = {
      {"no stored position, no commit: Kafka's reset policy", std::nullopt, std::nullopt, std::nullopt, false, false},
      {"no stored position, a commit: Kafka's commit", std::nullopt, 70, std::nullopt, false, false},
      {"our own crash: commit behind the store", mine, 80, 90, false, true},
      {"commit equal to our seek", mine, 90, 90, false, true},
      {"no commit at all", mine, std::nullopt, 90, false, true},
      {"another member consumed past us: our store is stale", mine, 150, 150, true, false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    const auto d = decide_start(r.stored, r.committed);
    CHECK(d.seek == r.seek);
    CHECK(d.stale_store == r.stale);
    CHECK((d.resume == mine) == r.keeps_resume);
  }
}

TEST_CASE("revoke decisions for eager, cooperative and lost assignments") {
  const std::set<TopicPartition> assigned{{"a", 0}, {"a", 1}, {"b", 0}};
  auto d = decide_revoke(RebalanceProtocol::eager, assigned, {{"a", 1}}, false);
  CHECK(d.revoked.size() == 3);  // eager always gives up everything
  CHECK(d.wait_durable);
  CHECK(d.commit_offsets);
  d = decide_revoke(RebalanceProtocol::cooperative, assigned, {{"a", 1}, {"c", 9}, {"a", 1}}, false);
  REQUIRE(d.revoked.size() == 1);  // only the listed ones we own, once
  CHECK(d.revoked[0] == TopicPartition{"a", 1});
  d = decide_revoke(RebalanceProtocol::cooperative, assigned, {{"a", 0}}, true);
  CHECK(d.revoked.size() == 1);
  CHECK_FALSE(d.wait_durable);  // someone else may own it already: commit nothing for it
  CHECK_FALSE(d.commit_offsets);
}

TEST_CASE("an offset from a revoked partition is never committed, and commits only move forward") {
  std::map<TopicPartition, std::int64_t> last{{{"a", 0}, 10}};
  const std::set<TopicPartition> assigned{{"a", 0}, {"a", 1}};
  auto out = offsets_to_commit({{{"a", 0}, 12}, {{"a", 1}, 5}, {{"gone", 0}, 99}}, assigned, last);
  REQUIRE(out.size() == 2);
  CHECK(out[0] == std::pair<TopicPartition, std::int64_t>{{"a", 0}, 12});
  CHECK(out[1] == std::pair<TopicPartition, std::int64_t>{{"a", 1}, 5});
  CHECK(last.count({"gone", 0}) == 0);
  out = offsets_to_commit({{{"a", 0}, 12}, {{"a", 1}, 4}}, assigned, last);
  CHECK(out.empty());  // equal or smaller than already committed
}

// ---- crash / replay simulation --------------------------------------------------------------

namespace {

struct Rec {
  std::uint64_t stream;
  bool starts_event;  // like a timestamped header line: closes the stream's open event
};

/// A consumer of one partition with a minimal in-order stitcher, using the real pure functions.
struct Consumer {
  explicit Consumer(const std::optional<PartitionPosition>& stored) {
    const auto d = decide_start(stored, std::nullopt);
    st.resume = d.resume;
    st.expected = d.seek.value_or(0);
    consumed_next = d.seek.value_or(0);
  }
  std::int64_t seek() const { return consumed_next; }

  void feed(const std::vector<Rec>& log, std::int64_t off) {
    const Rec& r = log[static_cast<std::size_t>(off)];
    const auto a = admit(&st, r.stream, off);
    REQUIRE((a == Admission::accept || a == Admission::skip_counted));
    consumed_next = off + 1;
    if (a == Admission::skip_counted) return;
    auto it = open.find(r.stream);
    if (it != open.end() && r.starts_event) {
      emitted.push_back(it->second);
      open.erase(it);
      it = open.end();
    }
    if (it == open.end()) {
      open[r.stream] = {off};
    } else {
      it->second.push_back(off);
    }
  }
  void flush_all() {
    for (auto& [s, lines] : open) emitted.push_back(lines);
    open.clear();
  }
  std::string position() const {
    std::map<std::uint64_t, std::int64_t> live;
    for (const auto& [s, lines] : open) live[s] = lines.front();
    return encode_position(position_to_store(consumed_next, live, st.resume));
  }

  PartitionState st;
  std::int64_t consumed_next = 0;
  std::map<std::uint64_t, std::vector<std::int64_t>> open;
  std::vector<std::vector<std::int64_t>> emitted;  // events as the offsets of their lines
};

std::vector<Rec> make_log(std::size_t n, std::uint32_t seed) {
  std::vector<Rec> log;
  std::uint32_t x = seed;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    log.push_back({(x >> 8) % 3, ((x >> 16) % 3) == 0});
  }
  return log;
}

/// Runs from `stored` until `crash_at` (exclusive; committing after every record) or the end.
/// Returns what became durable: the events and the last stored position.
std::pair<std::vector<std::vector<std::int64_t>>, std::string> run(const std::vector<Rec>& log,
                                                                   const std::optional<std::string>& stored,
                                                                   std::int64_t crash_at) {
  std::optional<PartitionPosition> pos;
  if (stored) {
    pos = decode_position(*stored);
    REQUIRE(pos);
  }
  Consumer c(pos);
  std::string durable = stored.value_or("0");
  std::size_t durable_events = 0;
  for (std::int64_t off = c.seek(); off < static_cast<std::int64_t>(log.size()); ++off) {
    if (off == crash_at) return {{c.emitted.begin(), c.emitted.begin() + static_cast<long>(durable_events)}, durable};
    c.feed(log, off);
    durable = c.position();  // one "store transaction" per record: events and position together
    durable_events = c.emitted.size();
  }
  c.flush_all();
  return {c.emitted, c.position()};
}

}  // namespace

TEST_CASE("a crash at any offset, even during the replay, emits every line exactly once") {
  for (std::uint32_t seed : {1u, 7u, 42u}) {
    const auto log = make_log(40, seed);
    const auto whole = run(log, std::nullopt, -1).first;
    std::multiset<std::vector<std::int64_t>> want(whole.begin(), whole.end());
    for (std::int64_t c1 = 0; c1 <= static_cast<std::int64_t>(log.size()); ++c1) {
      for (std::int64_t c2 = c1; c2 <= static_cast<std::int64_t>(log.size()); c2 += 3) {
        CAPTURE(seed);
        CAPTURE(c1);
        CAPTURE(c2);
        auto [first, p1] = run(log, std::nullopt, c1);
        auto [second, p2] = run(log, p1, c2);  // second crash (often inside the replay zone)
        auto [third, p3] = run(log, p2, -1);
        std::multiset<std::vector<std::int64_t>> got(first.begin(), first.end());
        got.insert(second.begin(), second.end());
        got.insert(third.begin(), third.end());
        CHECK(got == want);
        CHECK(p3 == std::to_string(log.size()));
      }
    }
  }
}
