#include <doctest/doctest.h>

#include <cstdlib>

#include "app/config.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using selfheal::app::load_config;

TEST_CASE("no file at all gives the embedded default") {
  auto c = load_config("", {});
  REQUIRE(c.has_value());
  CHECK(c->server.host == "127.0.0.1");
  CHECK(c->server.port == 8080);
  CHECK(c->storage.db_path() == "./selfheal-data/selfheal.db");
  CHECK(c->storage.flush_interval_ms <= 250);
  CHECK(c->effective_yaml.find("listen: 127.0.0.1:8080") != std::string::npos);
}

TEST_CASE("config errors name the file, line and column") {
  test::TempDir dir;
  struct Case {
    const char* name;
    const char* yaml;
    const char* expect;  // substring of the message
  };
  const Case cases[] = {
      {"unknown key", "server:\n  listen: 127.0.0.1:9\n  lisen: x\n", ":3:3: unknown key 'server.lisen'; accepted keys: listen"},
      {"unknown section", "severs: {}\n", ":1:1: unknown key 'severs'"},
      {"wrong type", "storage:\n  flush_interval_ms: soon\n", ":2:3: storage.flush_interval_ms: expected an integer"},
      {"out of range", "storage:\n  flush_interval_ms: 1000\n", "must be between 1 and 250"},
      {"bad enum", "pipeline:\n  min_severity: loud\n", ":2:3: pipeline.min_severity: 'loud' is not one of"},
      {"broken yaml", "server:\n  listen: [1, 2\n", "invalid YAML"},
      {"bad listen", "server:\n  listen: nowhere\n", "expected HOST:PORT"},
      {"inline secret", "api:\n  token: hunter2\n", "secrets are never written inline"},
      {"section not a map", "server: 5\n", "server: expected a mapping"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto path = dir.file(std::string(c.name) + ".yaml");
    test::write_file(path, c.yaml);
    auto r = load_config(path, {});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::config);
    CHECK(r.error().message.find(path) != std::string::npos);
    CHECK_MESSAGE(r.error().message.find(c.expect) != std::string::npos, r.error().message);
  }
}

TEST_CASE("all problems are reported at once") {
  test::TempDir dir;
  auto path = dir.file("many.yaml");
  test::write_file(path, "server:\n  bogus: 1\nstorage:\n  retention_days: many\n");
  auto r = load_config(path, {});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find(":2:3:") != std::string::npos);
  CHECK(r.error().message.find(":4:3:") != std::string::npos);
}

TEST_CASE("environment overrides the file and flags override the environment") {
  test::TempDir dir;
  auto path = dir.file("c.yaml");
  test::write_file(path, "server:\n  listen: 127.0.0.1:1111\nstorage:\n  data_dir: /from/file\n");
  setenv("SELFHEAL_SERVER_LISTEN", "127.0.0.1:2222", 1);
  setenv("SELFHEAL_STORAGE_RETENTION_DAYS", "3", 1);
  auto a = load_config(path, {});
  REQUIRE(a.has_value());
  CHECK(a->server.port == 2222);
  CHECK(a->storage.retention_days == 3);
  CHECK(a->storage.data_dir == "/from/file");
  app::CliOverrides flags;
  flags.listen = "127.0.0.1:3333";
  flags.data_dir = "/from/flag";
  auto b = load_config(path, flags);
  REQUIRE(b.has_value());
  CHECK(b->server.port == 3333);
  CHECK(b->storage.data_dir == "/from/flag");
  unsetenv("SELFHEAL_SERVER_LISTEN");
  unsetenv("SELFHEAL_STORAGE_RETENTION_DAYS");
}

TEST_CASE("secrets are names of environment variables and are masked in the effective config") {
  test::TempDir dir;
  auto path = dir.file("t.yaml");
  test::write_file(path, "api:\n  token_env: SELFHEAL_TEST_TOKEN_X\n");
  unsetenv("SELFHEAL_TEST_TOKEN_X");
  auto missing = load_config(path, {});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message.find("SELFHEAL_TEST_TOKEN_X") != std::string::npos);
  setenv("SELFHEAL_TEST_TOKEN_X", "s3cr3t-value", 1);
  auto ok = load_config(path, {});
  REQUIRE(ok.has_value());
  CHECK(ok->api.token_env == "SELFHEAL_TEST_TOKEN_X");
  CHECK(ok->effective_yaml.find("s3cr3t-value") == std::string::npos);
  CHECK(ok->effective_yaml.find("SELFHEAL_TEST_TOKEN_X=*** (set)") != std::string::npos);
  unsetenv("SELFHEAL_TEST_TOKEN_X");
}
