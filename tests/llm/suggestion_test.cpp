#include <doctest/doctest.h>

#include "llm/suggestion.hpp"

using namespace selfheal;
using namespace selfheal::llm;

namespace {
Completion answer(std::string content, std::string finish = "stop") {
  Completion c;
  c.content = std::move(content);
  c.finish_reason = std::move(finish);
  return c;
}
}  // namespace

TEST_CASE("a valid answer is parsed with its evidence") {
  auto s = parse_suggestion(answer(
      R"({"summary":"Cart total fails","root_cause":"items is null","suggested_fix":"init items","evidence":["CartService.total","NullPointerException"],"confidence":0.72})"));
  REQUIRE(s.has_value());
  CHECK(s->summary == "Cart total fails");
  CHECK(s->evidence.size() == 2);
  CHECK(s->model_confidence == doctest::Approx(0.72));
  CHECK_FALSE(s->confidence_clamped);
}

TEST_CASE("confidence outside [0, 1] is clamped and flagged") {
  auto hi = parse_suggestion(
      answer(R"({"summary":"a","root_cause":"b","suggested_fix":"c","evidence":[],"confidence":1.7})"));
  REQUIRE(hi.has_value());
  CHECK(hi->model_confidence == 1.0);
  CHECK(hi->confidence_clamped);
  auto lo =
      parse_suggestion(answer(R"({"summary":"a","root_cause":"b","suggested_fix":"c","evidence":[],"confidence":-3})"));
  REQUIRE(lo.has_value());
  CHECK(lo->model_confidence == 0.0);
  auto pct =
      parse_suggestion(answer(R"({"summary":"a","root_cause":"b","suggested_fix":"c","evidence":[],"confidence":85})"));
  REQUIRE(pct.has_value());
  CHECK(pct->model_confidence == 1.0);
}

TEST_CASE("answers that must be recorded as failed attempts") {
  const std::pair<Completion, const char*> rows[] = {
      {answer(R"({"summary":"Cart tot)", "length"), "cut off"},
      {answer(R"({"summary":"a","root_cause":"b","suggested_fix":"c","evidence":[],"confidence":0.5})", "length"),
       "cut off"},
      {answer("I think the cart is null."), "not valid JSON"},
      {answer("[1,2]"), "not a JSON object"},
      {answer(R"({"summary":"a","root_cause":"b","confidence":0.5})"), "suggested_fix"},
      {answer(R"({"summary":"a","root_cause":"b","suggested_fix":"c","evidence":[]})"), "confidence"},
      {answer(R"({"summary":"a","root_cause":"b","suggested_fix":"c","confidence":"high"})"), "confidence"},
      {answer(""), "empty"},
      {answer("no", "refusal"), "declined"},
  };
  for (const auto& row_ : rows) {
    const auto& c = std::get<0>(row_);  // no structured binding: clang 14 cannot capture one
    const auto& why = std::get<1>(row_);
    CAPTURE(c.content);
    auto s = parse_suggestion(c);
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code == ErrorCode::bad_input);
    CHECK(s.error().message.find(why) != std::string::npos);
  }
}

TEST_CASE("a fenced JSON answer is accepted") {
  auto s =
      parse_suggestion(answer("```json\n{\"summary\":\"a\",\"root_cause\":\"b\",\"suggested_fix\":\"c\",\"evidence\":[]"
                              ",\"confidence\":0.4}\n```"));
  REQUIRE(s.has_value());
  CHECK(s->model_confidence == doctest::Approx(0.4));
}

TEST_CASE("evidence counts only when it names something in this fingerprint") {
  EvidenceFacts f;
  f.template_text = "Failed to compute total for cart <*> of user <*>";
  f.exception_type = "java.lang.NullPointerException";
  f.frame_anchors = {"com.shop.cart.CartService.total", "total", "CartService.java"};
  f.samples = {"java.lang.NullPointerException: Cannot invoke \"List.size()\" because \"items\" is null"};
  CHECK(evidence_supported("frame com.shop.cart.CartService.total(CartService.java:42)", f));
  CHECK(evidence_supported("the NullPointerException", f));
  CHECK(evidence_supported("\"Failed to compute total for cart\"", f));
  CHECK(evidence_supported("because \"items\" is null", f));
  CHECK_FALSE(evidence_supported("com.shop.payment.StripeClient.charge", f));
  CHECK_FALSE(evidence_supported("database connection pool exhausted", f));
  CHECK_FALSE(evidence_supported("ab", f));
}

TEST_CASE("displayed confidence: the documented formula") {
  EvidenceFacts f;
  f.exception_type = "KeyError";
  f.frame_anchors = {"billing.export.build_row"};
  ParsedSuggestion s;
  s.model_confidence = 0.8;
  struct Row {
    std::vector<std::string> evidence;
    std::int64_t occurrences;
    bool succeeded;
    double expected;
  };
  const Row rows[] = {
      // all cited evidence exists, 10,000 events: evidence 1.0 x occurrence 1.0
      {{"KeyError", "billing.export.build_row"}, 10'000, false, 0.80},
      // half invented: evidence 0.4 + 0.6 * 0.5 = 0.7
      {{"KeyError", "invented.Frame"}, 10'000, false, 0.56},
      // nothing cited: 0.5
      {{}, 10'000, false, 0.40},
      // one event: occurrence 0.6
      {{"KeyError"}, 1, false, 0.48},
      // 100 events: occurrence 0.8
      {{"KeyError"}, 100, false, 0.64},
      // a healing strategy already succeeded: x1.1
      {{"KeyError"}, 10'000, true, 0.88},
  };
  for (const auto& r : rows) {
    s.evidence = r.evidence;
    f.occurrences = r.occurrences;
    f.strategy_succeeded = r.succeeded;
    auto b = displayed_confidence(s, f);
    CAPTURE(r.occurrences);
    CHECK(b.displayed == doctest::Approx(r.expected));
    CHECK(b.displayed >= 0.0);
    CHECK(b.displayed <= 1.0);
  }
  s.model_confidence = 1.0;
  s.evidence = {"KeyError"};
  f.occurrences = 10'000;
  f.strategy_succeeded = true;
  CHECK(displayed_confidence(s, f).displayed == 1.0);  // capped after the history bonus
}
