#include <doctest/doctest.h>

#include "llm/context.hpp"

using namespace selfheal;
using namespace selfheal::llm;

namespace {

constexpr UnixMs now = 1'800'000'000'000;

FingerprintFacts facts(int samples = 5) {
  FingerprintFacts f;
  auto& s = f.summary;
  s.id = "a1b2c3d4e5f60718";
  s.template_text = "Failed to compute total for cart <*> of user <*>";
  s.exception_type = "java.lang.NullPointerException";
  s.frames_json =
      R"([{"module":"java.util.ArrayList","function":"size","file":"ArrayList.java","line":10,"in_app":false},)"
      R"({"module":"com.shop.cart.CartService","function":"total","file":"CartService.java","line":42,"in_app":true}])";
  s.status = "unresolved";
  s.severity = "error";
  s.count = 10'000;
  s.first_seen = now - 7'200'000;
  s.last_seen = now - 1000;
  s.services = {{"cart", 9000}, {"checkout", 1000}};
  for (int i = 0; i < 60; ++i) f.series.push_back({now - 3'600'000 + i * 60'000, 100 + i});
  for (int i = 0; i < samples; ++i) {
    StoredSample smp;
    smp.ts = now - 3'000'000 + i;
    smp.kind = i < 3 ? "first" : "recent";
    smp.message = "java.lang.NullPointerException: cart " + std::to_string(i) + " items is null";
    smp.service = "cart";
    smp.labels_json = R"({"app":"cart","pod":"cart-7f9c"})";
    f.samples.push_back(smp);
  }
  return f;
}

std::unique_ptr<Redactor> redactor() {
  return std::move(Redactor::create({})).value();
}

}  // namespace

TEST_CASE("the context holds template, type, frames in-app first, counts, rate, services, samples") {
  auto r = redactor();
  auto c = build_context(facts(), *r, ContextOptions{}, now);
  REQUIRE(c.has_value());
  const std::string& p = c->request.user_prompt;
  CHECK(p.find("Failed to compute total for cart <*> of user <*>") != std::string::npos);
  CHECK(p.find("Exception type: java.lang.NullPointerException") != std::string::npos);
  auto app = p.find("[app] com.shop.cart.CartService.total (CartService.java:42)");
  auto lib = p.find("[lib] java.util.ArrayList.size");
  REQUIRE(app != std::string::npos);
  REQUIRE(lib != std::string::npos);
  CHECK(app < lib);
  CHECK(p.find("Occurrences: 10000 in total") != std::string::npos);
  CHECK(p.find("Services: cart (9000), checkout (1000)") != std::string::npos);
  CHECK(p.find("cart 4 items is null") != std::string::npos);
  CHECK(p.find("Earlier automatic healing: none recorded") != std::string::npos);
  CHECK(c->request.max_output_tokens == 800);
  CHECK(c->dropped.empty());
  CHECK(c->evidence.occurrences == 10'000);
}

TEST_CASE("the context is deterministic and its hash ignores the statistics") {
  auto r = redactor();
  auto a = build_context(facts(), *r, ContextOptions{}, now);
  auto b = build_context(facts(), *r, ContextOptions{}, now);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->request.user_prompt == b->request.user_prompt);
  CHECK(a->context_hash == b->context_hash);
  auto more = facts();
  more.summary.count = 20'000;
  more.summary.last_seen = now;
  auto c = build_context(more, *r, ContextOptions{}, now + 60'000);
  REQUIRE(c.has_value());
  CHECK(c->request.user_prompt != a->request.user_prompt);
  CHECK(c->context_hash == a->context_hash);
  auto other = facts();
  other.summary.template_text = "Another template <*>";
  CHECK(build_context(other, *r, ContextOptions{}, now)->context_hash != a->context_hash);
}

TEST_CASE("a small budget drops history and late samples first and always fits") {
  auto r = redactor();
  auto f = facts();
  for (auto& s : f.samples) s.message += std::string(3000, 'x');  // long samples
  for (int i = 0; i < 8; ++i) f.history.push_back({now - i * 1000, "restart", "exec", "failed", false});
  ContextOptions o;
  o.context_tokens = 2048;
  o.max_output_tokens = 512;
  auto c = build_context(f, *r, o, now);
  REQUIRE(c.has_value());
  CHECK(c->estimated_prompt_tokens + o.max_output_tokens <= o.context_tokens);
  CHECK_FALSE(c->dropped.empty());
  CHECK(c->request.user_prompt.find("Exception type") != std::string::npos);
  CHECK(c->request.user_prompt.find("[app] com.shop.cart.CartService.total") != std::string::npos);
  // the 8k default holds the same facts with less dropped
  auto big = build_context(f, *r, ContextOptions{}, now);
  REQUIRE(big.has_value());
  CHECK(big->dropped.size() < c->dropped.size());
  CHECK(big->estimated_prompt_tokens + 800 <= 8192);
}

TEST_CASE("a budget too small for the header is a config error") {
  auto r = redactor();
  ContextOptions o;
  o.context_tokens = 900;
  o.max_output_tokens = 800;
  auto c = build_context(facts(), *r, o, now);
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().code == ErrorCode::config);
}

TEST_CASE("secrets in template, type, frames, samples, labels, services and history never reach the prompt") {
  auto r = redactor();
  auto f = facts(3);
  const std::string aws = "AKIAIOSFODNN7EXAMPLE";
  const std::string gh = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
  const std::string mail = "jane.doe@example.com";
  const std::string pw = "hunter2hunter";
  f.summary.template_text = "login failed for " + mail + " password=" + pw;
  f.summary.exception_type = "AuthError " + aws;
  f.summary.frames_json =
      R"([{"module":"auth.)" + gh + R"(","function":"login","file":"auth.py","line":3,"in_app":true}])";
  f.summary.services = {{"svc-" + mail, 1}};
  f.samples[0].labels_json = R"({"token":"abc123tokenvalue","ip":"10.1.2.3"})";
  f.samples[1].message = "Authorization: Bearer s3cr3tT0kenValue42xyz";
  f.history.push_back({now - 1000, "restart", "exec", "stderr: " + aws, false});
  auto c = build_context(f, *r, ContextOptions{}, now);
  REQUIRE(c.has_value());
  const std::string all = c->request.system_prompt + c->request.user_prompt;
  for (const auto& secret : {aws, gh, mail, pw, std::string("abc123tokenvalue"), std::string("10.1.2.3"),
                             std::string("s3cr3tT0kenValue42xyz")}) {
    CAPTURE(secret);
    CHECK(all.find(secret) == std::string::npos);
  }
  CHECK(c->redactions.size() >= 5);
}
