#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "schema/redact.hpp"
#include "tests/support/planted_secrets.hpp"

using namespace selfheal;

namespace {

std::unique_ptr<Redactor> make(RedactConfig cfg = {}) {
  auto r = Redactor::create(cfg);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

using selfheal::testing::Planted;
std::vector<Planted> planted() { return selfheal::testing::planted_secrets(); }

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

// Issue 15: general rules, not the planted strings. Each row: a line and the secret in it.
TEST_CASE("environment-style names, cookies, session ids and random tokens next to key words are redacted") {
  auto r = make();
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"mysql: MYSQL_PWD=r00tpw rejected", "r00tpw"},
      {"REDIS_PASSWORD: s3cretRedis", "s3cretRedis"},
      {"db.password = 'correct horse battery' rejected", "correct horse battery"},
      {"GITHUB_TOKEN=gh0_notreal_but_secret set", "gh0_notreal_but_secret"},
      {"export STRIPE_SECRET_KEY=rk_live_51Habcdef", "rk_live_51Habcdef"},
      {"ENCRYPTION_KEY=Zm9vYmFyYmF6cXV4 loaded", "Zm9vYmFyYmF6cXV4"},
      {"init apiKey=AbCdEf0123456789 failed", "AbCdEf0123456789"},
      {"oauth client_secret: 8f14e45fceea167a5a36dedd4bea2543", "8f14e45fceea167a5a36dedd4bea2543"},
      {"Set-Cookie: JSESSIONID=A1B2C3D4E5F6A7B8; Path=/; HttpOnly", "A1B2C3D4E5F6A7B8"},
      {"Cookie: theme=dark; sid=s%3Aabc123def456", "s%3Aabc123def456"},
      {"GET /app;jsessionid=0AB1C2D3E4F5 500", "0AB1C2D3E4F5"},
      {"lookup session_id=5f2b9c1e7a3d4e8f failed", "5f2b9c1e7a3d4e8f"},
      {"GET /o.png?X-Amz-Signature=3f1c2e9a8b7d6c5e4f3a2b1c0d9e8f7a 403", "3f1c2e9a8b7d6c5e4f3a2b1c0d9e8f7a"},
      {"auth token is 7Fj3kL9mQ2xR8vT1wZ5y, retrying", "7Fj3kL9mQ2xR8vT1wZ5y"},
      {"session id 550e8400-e29b-41d4-a716-446655440000 expired", "550e8400-e29b-41d4-a716-446655440000"},
      {"vault returned secret: Qm9sdDEyMzQ1Njc4OTBhYmNk", "Qm9sdDEyMzQ1Njc4OTBhYmNk"},
      {"creds wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY loaded", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
      {"{\"api_key\": \"live key with spaces\"}", "live key with spaces"},
      {"exec: /usr/bin/app --db-password=Fl4gSecret1 --verbose", "Fl4gSecret1"},
  };
  for (const auto& row : rows) {
    const auto& line = row.first;  // not a structured binding: clang 14 cannot capture those (CAPTURE)
    const auto& secret = row.second;
    CAPTURE(line);
    const std::string out = r->redact(line);
    CHECK(out.find(secret) == std::string::npos);
    CHECK(out.find("[REDACTED:") != std::string::npos);
    CHECK(r->redact(out) == out);  // idempotent
  }
}

TEST_CASE("names and words that only look like secrets keep their values") {
  auto r = make();
  const char* keep[] = {
      "cache key=user:42 miss",
      "max_tokens=800 exceeded",
      "token_type=Bearer expires_in=3600",
      "secret_name=db-creds not found",
      "git commit 9fceb02d0ae598e95dc970b74767f19372d61af8 deployed",  // a SHA-1: one case, no keyword
      "key not found in cache: user-profile-1234567",
      "monkey=3 donkey=4",
      "primary key violation on users_pkey",
      "tokenizer=bert-base-uncased",
      "password reset requested for user bob",
      "session closed after ConnectionRefusedException",
  };
  for (const char* k : keep) {
    CAPTURE(k);
    CHECK(r->redact(k) == k);
  }
}

TEST_CASE("secret_key_name: what names a secret and what names a property of one") {
  for (const char* k : {"PGPASSWORD", "DB_PASSWORD", "db.password", "MYSQL_PWD", "client_secret", "x-api-key", "apiKey",
                        "STRIPE_KEY", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "refresh_token", "sid", "JSESSIONID",
                        "session", "X-Amz-Signature", "auth", "signing_key", "passphrase"}) {
    CAPTURE(k);
    CHECK(secret_key_name(k));
  }
  for (const char* k : {"key", "cache_key", "partition_key", "max_tokens", "token_type", "secret_name", "password_length",
                        "monkey", "bypass", "tokens", "tokenizer", "inside", "session_count", "user"}) {
    CAPTURE(k);
    CHECK_FALSE(secret_key_name(k));
  }
}

TEST_CASE("high_entropy_token: random tokens yes, words, numbers and ids with few changes no") {
  for (const char* t : {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "9f86d081884c7d659a2feaa0c55ad015", "7Fj3kL9mQ2xR8vT1wZ5y",
                        "550e8400-e29b-41d4-a716-446655440000"}) {
    CAPTURE(t);
    CHECK(high_entropy_token(t));
  }
  for (const char* t : {"user-profile-1234567", "ConnectionRefusedException", "12345678901234567890", "abcdefghijklmnopqrst",
                        "short1A"}) {
    CAPTURE(t);
    CHECK_FALSE(high_entropy_token(t));
  }
}
