#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "llm/redact.hpp"

using namespace selfheal;
using namespace selfheal::llm;

namespace {

std::unique_ptr<Redactor> make(RedactConfig cfg = {}) {
  auto r = Redactor::create(cfg);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

struct Planted {
  const char* kind;
  std::string text;    // the line a log would carry
  std::string secret;  // what must never survive
};

// Every kind the issue names, in the shapes logs really carry them.
std::vector<Planted> planted() {
  return {
      {"aws_access_key", "boto: using key AKIAIOSFODNN7EXAMPLE for s3", "AKIAIOSFODNN7EXAMPLE"},
      {"aws_secret_key", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ok",
       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
      {"github_token", "clone failed with ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 now",
       "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"},
      {"github_token", "pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz rejected",
       "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"},
      {"slack_token", "slack post failed token xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp",
       "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp"},
      {"jwt",
       "session "
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U "
       "expired",
       "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"},
      {"bearer", "upstream said 401 for Authorization: Bearer s3cr3tT0kenValue42xyz", "s3cr3tT0kenValue42xyz"},
      {"secret_value", "login failed password=hunter2hunter user=bob", "hunter2hunter"},
      {"secret_value", "config {\"secret\": \"p4ssphrase-xyz\"} loaded", "p4ssphrase-xyz"},
      {"secret_value", "GET /cb?token=abc123tokenvalue&x=1 500", "abc123tokenvalue"},
      {"secret_value", "connect failed DB_PASSWORD=Pr0dPassw0rd! host=db", "Pr0dPassw0rd!"},
      {"secret_value", "header x-api-key: k3y-v4lue-123 rejected", "k3y-v4lue-123"},
      {"private_key",
       "key dump -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAzQ8planted\nabcdef==\n-----END RSA PRIVATE KEY----- "
       "end",
       "MIIEowIBAAKCAQEAzQ8planted"},
      {"email", "mail to jane.doe@example.com bounced", "jane.doe@example.com"},
      {"credit_card", "charge declined for card 4111 1111 1111 1111 amount 3", "4111 1111 1111 1111"},
      {"credit_card", "charge declined for card 5500-0000-0000-0004", "5500-0000-0000-0004"},
      {"ipv4", "connect to 10.20.30.40:5432 refused", "10.20.30.40"},
      {"ipv6", "peer 2001:db8:85a3::8a2e:370:7334 reset", "2001:db8:85a3::8a2e:370:7334"},
      {"url_credentials", "dsn postgres://app:Sup3rS3cret@db/prod failed", "Sup3rS3cret"},
      {"api_key", "openai key sk-proj-abcdefghijklmnopqrstuvwxyz123456 invalid",
       "sk-proj-abcdefghijklmnopqrstuvwxyz123456"},
  };
}

}  // namespace

TEST_CASE("every planted secret kind is replaced and the secret text is gone") {
  auto r = make();
  for (const auto& p : planted()) {
    CAPTURE(p.text);
    std::map<std::string, int> counts;
    std::string out = r->redact(p.text, counts);
    CHECK(out.find(p.secret) == std::string::npos);
    CHECK(out.find("[REDACTED:") != std::string::npos);
    CHECK(counts.count(p.kind) == 1);
  }
}

TEST_CASE("the text around a key=value secret and a bearer token stays readable") {
  auto r = make();
  CHECK(r->redact("login failed password=hunter2hunter user=bob") ==
        "login failed password=[REDACTED:secret_value] user=bob");
  CHECK(r->redact("Authorization: Bearer s3cr3tT0kenValue42xyz") == "Authorization: Bearer [REDACTED:bearer]");
}

TEST_CASE("a private key block without its END line is redacted to the end of the text") {
  auto r = make();
  std::string out = r->redact("dump -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\ncut here");
  CHECK(out == "dump [REDACTED:private_key]");
}

TEST_CASE("things that only look like secrets are left alone") {
  auto r = make();
  const char* keep[] = {
      "std::string::npos reached in Foo::bar",
      "job ran at 12:30:45 and took 1.5s",
      "timestamp 1700000000000 order 12345",
      "card 4111 1111 1111 1112 fails the Luhn check",  // not a valid number: kept
      "NullPointerException at com.shop.cart.CartService.total(CartService.java:42)",
      "token count exceeded",        // the word without a value
      "bypass=true compass: north",  // keys inside other words
  };
  for (const char* k : keep) {
    CAPTURE(k);
    CHECK(r->redact(k) == k);
  }
}

TEST_CASE("ip redaction can be switched off, e-mail redaction too") {
  RedactConfig cfg;
  cfg.ips = false;
  cfg.emails = false;
  auto r = make(cfg);
  CHECK(r->redact("connect to 10.20.30.40 for jane@example.com") == "connect to 10.20.30.40 for jane@example.com");
}

TEST_CASE("user RE2 patterns replace their whole match; a bad pattern is a config error") {
  RedactConfig cfg;
  cfg.patterns = {R"(cust-[0-9]{6})"};
  auto r = make(cfg);
  CHECK(r->redact("order for cust-123456 failed") == "order for [REDACTED:custom] failed");
  cfg.patterns = {"(unclosed"};
  auto bad = Redactor::create(cfg);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ErrorCode::config);
  CHECK(bad.error().message.find("patterns[0]") != std::string::npos);
}

TEST_CASE("luhn_valid accepts real test card numbers and rejects near misses") {
  CHECK(luhn_valid("4111111111111111"));
  CHECK(luhn_valid("378282246310005"));
  CHECK(luhn_valid("5500-0000-0000-0004"));
  CHECK_FALSE(luhn_valid("4111111111111112"));
  CHECK_FALSE(luhn_valid("123456789012"));  // too short
  CHECK_FALSE(luhn_valid("41111111111111a1"));
}

TEST_CASE("redaction is idempotent: redacting twice changes nothing more") {
  auto r = make();
  for (const auto& p : planted()) {
    std::string once = r->redact(p.text);
    CHECK(r->redact(once) == once);
  }
}
