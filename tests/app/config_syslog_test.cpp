// ingest.syslog[] (app/config_syslog.cpp): values land in the config, problems are located.
#include <doctest/doctest.h>

#include "app/config.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using selfheal::app::load_config;

TEST_CASE("config: ingest.syslog[] listeners and limits") {
  test::TempDir dir;
  auto path = dir.file("ok.yaml");
  test::write_file(path,
                   "ingest:\n  syslog:\n    - name: edge\n      tcp_listen: 0.0.0.0:6514\n      udp_listen: '[::1]:5514'\n"
                   "      max_message_bytes: 8192\n      multiline: false\n    - name: tcp-only\n      tcp_listen: :1514\n");
  auto c = load_config(path, {});
  REQUIRE_MESSAGE(c.has_value(), c.error().message);
  REQUIRE(c->ingest.syslog.size() == 2);
  const auto& a = c->ingest.syslog[0];
  CHECK(a.name == "edge");
  CHECK(a.tcp_host == "0.0.0.0");
  CHECK(a.tcp_port == 6514);
  CHECK(a.udp_host == "::1");
  CHECK(a.udp_port == 5514);
  CHECK(a.max_message_bytes == 8192);
  CHECK_FALSE(a.multiline);
  CHECK(c->ingest.syslog[1].udp_port == -1);  // off
  CHECK(c->ingest.syslog[1].tcp_port == 1514);
  CHECK(c->effective_yaml.find("udp_listen: \"\"") != std::string::npos);
}

TEST_CASE("config: ingest.syslog[] errors name the file, line and column") {
  test::TempDir dir;
  struct Case {
    const char* name;
    const char* yaml;
    const char* expect;
  };
  const Case cases[] = {
      {"no listener", "ingest:\n  syslog:\n    - name: s\n", ":3:7: ingest.syslog[0]: set tcp_listen or udp_listen"},
      {"bad port", "ingest:\n  syslog:\n    - tcp_listen: 127.0.0.1:70000\n", ":3:7: ingest.syslog[0].tcp_listen: expected HOST:PORT"},
      {"bad name", "ingest:\n  syslog:\n    - name: 'a b'\n      udp_listen: :514\n", "ingest.syslog[0].name: 'a b' must be 1-64"},
      {"name clash", "ingest:\n  files:\n    - name: x\n      paths: [/var/log/x.log]\n  syslog:\n    - name: x\n      udp_listen: :514\n",
       ":6:7: ingest.syslog[0].name: 'x' is already used by"},
      {"same listener", "ingest:\n  syslog:\n    - name: a\n      tcp_listen: :514\n    - name: b\n      tcp_listen: :514\n",
       ":6:7: ingest.syslog[1].tcp_listen: tcp 0.0.0.0:514 is already a listener at"},
      {"unknown key", "ingest:\n  syslog:\n    - tcp_listen: :514\n      tls: on\n", ":4:7: unknown key 'ingest.syslog[0].tls'"},
      {"too small", "ingest:\n  syslog:\n    - tcp_listen: :514\n      max_message_bytes: 10\n", "max_message_bytes"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto path = dir.file(std::string(c.name) + ".yaml");
    test::write_file(path, c.yaml);
    auto r = load_config(path, {});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::config);
    CHECK_MESSAGE(r.error().message.find(c.expect) != std::string::npos, r.error().message);
  }
}
