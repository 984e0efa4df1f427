// Issue 15 item 6: invalid UTF-8 in a push is treated alike on both wire formats, as Loki does: each
// bad byte becomes U+FFFD, the push is accepted, and a dead letter holding such a body replays.
#include <doctest/doctest.h>

#include <string>

#include "ingest/loki_push.hpp"
#include "schema/clock.hpp"
#include "tests/support/fake_clock.hpp"

using namespace selfheal;
using namespace selfheal::ingest;

namespace {

const std::string bad_line = std::string("payment failed for caf") + '\xe9' + " user " + '\xff';  // Latin-1 é, a lone 0xFF
const std::string repaired = "payment failed for caf\xEF\xBF\xBD user \xEF\xBF\xBD";

PushOutcome push(const std::string& ct, const std::string& body) {
  FakeClock clock{1'800'000'000'000};
  LokiPushOptions opts;
  LokiPushHandler h(opts, clock);
  PushRequest r;
  r.content_type = ct;
  r.body = body;
  return h.handle(r);
}

}  // namespace

TEST_CASE("a JSON push with invalid UTF-8 is accepted with U+FFFD, exactly like the protobuf push") {
  const std::string json_body = "{\"streams\":[{\"stream\":{\"app\":\"shop\",\"env\":\"d" + std::string(1, '\xfe') +
                                "v\"},\"values\":[[\"1732300000000000000\",\"" + bad_line + "\"]]}]}";
  auto j = push("application/json", json_body);
  REQUIRE(j.accepted());
  REQUIRE(j.batch.events.size() == 1);
  CHECK(j.batch.dead_letters.empty());
  CHECK(j.batch.events[0].message == repaired);

  detail::DecodedPush p;
  auto& s = p.streams.emplace_back();
  s.labels = {{"app", "shop"}, {"env", std::string("d") + '\xfe' + "v"}};
  s.entries.push_back({1732300000000000000LL, bad_line, {{"trace", std::string(1, '\xc3')}}});
  auto pb = push("application/x-protobuf", detail::snappy_block_encode(detail::encode_push_protobuf(p)));
  REQUIRE(pb.accepted());
  REQUIRE(pb.batch.events.size() == 1);
  CHECK(pb.batch.events[0].message == j.batch.events[0].message);
  CHECK(pb.batch.events[0].labels.size() == 3);
  for (const auto& row_ : pb.batch.events[0].labels) {
    const auto& k = std::get<0>(row_);  // no structured binding: clang 14 cannot capture one
    const auto& v = std::get<1>(row_);
    CAPTURE(k);
    if (k == "env") CHECK(v == "d\xEF\xBF\xBDv");
    if (k == "trace") CHECK(v == "\xEF\xBF\xBD");
  }
  for (const auto& [k, v] : j.batch.events[0].labels)
    if (k == "env") CHECK(v == "d\xEF\xBF\xBDv");
}

TEST_CASE("a dead letter of a JSON body with an invalid byte (kept by an older version) replays") {
  FakeClock clock{1'800'000'000'000};
  LokiPushOptions opts;
  LokiPushHandler h(opts, clock);
  const std::string body = "{\"streams\":[{\"stream\":{\"app\":\"a\"},\"values\":[[\"1\",\"" + bad_line + "\"]]}]}";
  DeadLetter d = h.dead_letter("application/json", "", body, 10, "bad_json: invalid JSON", detail::JsonShape::v1);
  auto out = h.handle(replay_request(d));
  REQUIRE(out.accepted());
  REQUIRE(out.batch.events.size() == 1);
  CHECK(out.batch.events[0].message == repaired);
}
