// The config key table (app/config_table.hpp) against everything it must agree with: the example
// file, the structs' defaults, the parsers, the action registry and the environment overrides.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "app/config.hpp"
#include "app/config_section.hpp"
#include "app/config_table.hpp"
#include "healer/action_type.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace selfheal::app;

namespace {

// The node at `path`; list rows ("a[].b") look in every item of the list and take the first that has it.
YAML::Node find(const YAML::Node& root, std::string_view path) {
  const auto bracket = path.find("[]");
  if (bracket != std::string_view::npos) {
    YAML::Node list = find(root, path.substr(0, bracket));
    if (!list.IsSequence()) return YAML::Node(YAML::NodeType::Undefined);
    for (const auto& item : list) {
      YAML::Node n = find(item, path.substr(bracket + 3));
      if (n) return n;
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return node_at(root, path);
}

// A node as text with sorted keys and numbers in one format.
std::string canonical(const YAML::Node& n) {
  if (n.IsMap()) {
    std::map<std::string, std::string> sorted;
    for (auto it = n.begin(); it != n.end(); ++it) sorted[it->first.Scalar()] = canonical(it->second);
    std::string out = "{";
    for (const auto& kv : sorted) out += kv.first + ":" + kv.second + ",";
    return out + "}";
  }
  if (n.IsSequence()) {
    std::string out = "[";
    for (const auto& item : n) out += canonical(item) + ",";
    return out + "]";
  }
  if (!n.IsScalar()) return "~";
  try {
    std::size_t used = 0;
    const double d = std::stod(n.Scalar(), &used);
    if (used == n.Scalar().size()) return std::to_string(d);
  } catch (const std::exception&) {
  }
  return n.Scalar();
}

bool same_value(const KeySpec& k, const YAML::Node& v) {
  if (k.type == KeyType::list) {
    YAML::Node d = YAML::Load(k.dflt.empty() ? "[]" : k.dflt);
    if (!v.IsSequence() || v.size() != d.size()) return false;
    for (std::size_t i = 0; i < d.size(); ++i)
      if (v[i].Scalar() != d[i].Scalar()) return false;
    return true;
  }
  if (k.type == KeyType::map) return v.IsMap() && v.size() == 0;
  if (!v.IsScalar()) return false;
  if (k.type == KeyType::number) return std::fabs(v.as<double>() - std::stod(k.dflt)) < 1e-9;
  return v.Scalar() == k.dflt;
}

// One item of every list, with only its required keys: the effective config then holds every
// list key's default.
const char* const every_list = R"(
api:
  tokens: [{name: alice, token_env: SELFHEAL_TABLE_TEST_TOKEN}]
fingerprint:
  user_masks: [{name: order, regex: 'ORD-[0-9]+'}]
  rules: [{name: r, service: s}]
ingest:
  kafka: [{name: k, brokers: 'localhost:9092', topics: [logs]}]
  loki_pull: [{name: lp, url: 'http://localhost:3100', query: '{app="a"}'}]
  files: [{name: f, paths: [/var/log/x.log]}]
healer:
  enabled: false
  notify:
    channels: [{name: ops, url: 'http://localhost:1/hook'}]
  strategies:
    - name: s
      match: {rate: {count: 5}}
      actions:
        - {type: exec, argv: [/bin/true]}
        - {type: http, url: 'http://localhost:1/x'}
        - {type: notify}
        - {type: throttle, apply: {type: exec, argv: [/bin/true]}, restore: {type: http, url: 'http://localhost:1/r'}}
        - {type: failover, targets: [a, b], switch: {type: exec, argv: [/bin/true, '{target}']}}
        - {type: suggest}
)";

}  // namespace

TEST_CASE("deploy/selfheal.example.yaml is `selfheal config example`, generated from the key table") {
  const std::string file = test::read_file(std::string(SELFHEAL_SOURCE_DIR) + "/deploy/selfheal.example.yaml");
  const std::string generated = render_config_example();
  // Regenerate with: build/selfheal config example > deploy/selfheal.example.yaml
  CHECK_MESSAGE(file == generated, "deploy/selfheal.example.yaml differs from the key table; regenerate it");
}

TEST_CASE("every key of the table has a doc line, a sane range and a default inside it") {
  std::set<std::string> envs;
  for (const auto& k : config_keys()) {
    CAPTURE(k.path);
    CHECK(k.doc.size() >= 8);
    if (k.type == KeyType::integer || k.type == KeyType::number || k.type == KeyType::duration) {
      CHECK(k.lo <= k.hi);
      if (!k.derived) CHECK((std::stod(k.dflt) >= k.lo || (k.type == KeyType::integer && k.dflt == "0")));
      CHECK(std::stod(k.dflt) <= k.hi);
    }
    if (k.type == KeyType::duration) CHECK((k.unit == "ms" || k.unit == "s" || k.unit == "min" || k.unit == "d"));
    if (k.type == KeyType::choice && !k.dflt.empty())
      CHECK(("|" + k.choices + "|").find("|" + k.dflt + "|") != std::string::npos);
    if (k.type == KeyType::section || k.type == KeyType::items)
      CHECK_FALSE(config_child_keys(k.type == KeyType::items ? k.path + "[]" : k.path).empty());
    if (auto e = env_name(k); !e.empty()) CHECK(envs.insert(e).second);  // one variable, one key
  }
  CHECK(config_keys().size() > 200);
  const std::string listing = render_config_keys();
  for (const auto& k : config_keys()) CHECK(listing.find(k.path + "  ") != std::string::npos);
}

TEST_CASE("the table's defaults are the structs' defaults: the effective config of no file holds them") {
  setenv("SELFHEAL_TABLE_TEST_TOKEN", "t0ken", 1);
  test::TempDir dir;
  const std::string lists = dir.file("lists.yaml");
  test::write_file(lists, every_list);
  const YAML::Node sample = YAML::Load(every_list);
  for (const std::string& file : {std::string(), lists}) {
    auto c = load_config(file, {});
    REQUIRE_MESSAGE(c.has_value(), c.error().message);
    const YAML::Node root = YAML::Load(c->effective_yaml);
    int compared = 0;
    for (const auto& k : config_keys()) {
      if (k.derived || k.type == KeyType::section || k.type == KeyType::items) continue;
      if (file.empty() == (k.path.find("[]") != std::string::npos)) continue;
      if (!file.empty() && find(sample, k.path)) continue;  // written in the sample, not a default
      YAML::Node v = find(root, k.path);
      if (!v) continue;  // a key of an action type or a nested delivery not in the sample
      CAPTURE(k.path);
      CHECK_MESSAGE(same_value(k, v), "table default " << k.dflt << ", struct default " << YAML::Dump(v));
      ++compared;
    }
    MESSAGE((file.empty() ? "keys outside lists" : "keys of list items") << " compared: " << compared);
    CHECK(compared >= (file.empty() ? 70 : 85));
  }
  unsetenv("SELFHEAL_TABLE_TEST_TOKEN");
}

TEST_CASE("the example file is a valid config and means the built-in defaults") {
  auto example = load_config(std::string(SELFHEAL_SOURCE_DIR) + "/deploy/selfheal.example.yaml", {});
  REQUIRE_MESSAGE(example.has_value(), example.error().message);
  auto defaults = load_config("", {});
  REQUIRE(defaults.has_value());
  // Same keys and values (order and number formatting aside).
  CHECK(canonical(YAML::Load(example->effective_yaml)) == canonical(YAML::Load(defaults->effective_yaml)));
}

TEST_CASE("the action types of the table are the action registry's") {
  const KeySpec* type = find_config_key("healer.strategies[].actions[].type");
  REQUIRE(type != nullptr);
  std::string registry;
  for (const auto& t : healer::builtin_actions().types()) registry += (registry.empty() ? "" : "|") + t;
  auto split = [](const std::string& text) {
    std::set<std::string> out;
    std::string cur;
    for (char ch : text + "|") {
      if (ch != '|') {
        cur += ch;
        continue;
      }
      out.insert(cur);
      cur.clear();
    }
    return out;
  };
  const auto a = split(registry);
  const auto b = split(type->choices);
  CHECK(a == b);
  for (const auto& t : healer::builtin_actions().types())
    for (const auto& key : healer::builtin_actions().find(t)->config_schema()) {
      CAPTURE(key.name);
      CHECK(find_config_key("healer.strategies[].actions[]." + key.name) != nullptr);
    }
}

TEST_CASE("durations: a plain number is the key's unit, a suffix converts, a fraction of the unit is an error") {
  test::TempDir dir;
  const std::string path = dir.file("d.yaml");
  test::write_file(path,
                   "storage: {retention_days: 2d, flush_interval_ms: 100ms}\n"
                   "stats: {escalation_window_min: 10m, escalation_baseline_min: 2h, new_window_ms: 5m}\n"
                   "healer: {tick_ms: 1s, new_window_secs: 1h}\nllm: {refresh_after_ms: 1d}\n");
  auto c = load_config(path, {});
  REQUIRE_MESSAGE(c.has_value(), c.error().message);
  CHECK(c->storage.retention_days == 2);
  CHECK(c->storage.flush_interval_ms == 100);
  CHECK(c->stats.escalation_window_min == 10);
  CHECK(c->stats.escalation_baseline_min == 120);
  CHECK(c->stats.new_window_ms == 300'000);
  CHECK(c->healer.tick_ms == 1000);
  CHECK(c->healer.new_window_secs == 3600);
  CHECK(c->llm.refresh_after_ms == 86'400'000);
  test::write_file(path, "healer:\n  new_window_secs: 1500ms\nstats:\n  escalation_window_min: 4h\n");
  auto bad = load_config(path, {});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find(":2:3: healer.new_window_secs: '1500ms' is not a whole number of s") !=
        std::string::npos);
  CHECK(bad.error().message.find(":4:3: stats.escalation_window_min: must be between 1 and 120 min, got 240") !=
        std::string::npos);
}

TEST_CASE("a key written twice is an error naming both lines") {
  test::TempDir dir;
  const std::string path = dir.file("dup.yaml");
  test::write_file(path, "server:\n  listen: 127.0.0.1:1\nlog:\n  level: info\nserver:\n  threads: 4\n");
  auto r = load_config(path, {});
  REQUIRE_FALSE(r.has_value());
  CHECK_MESSAGE(r.error().message.find(path + ":5:1: duplicate key 'server' (first at line 1)") != std::string::npos,
                r.error().message);
  test::write_file(path, "healer:\n  dry_run: true\n  dry_run: false\n");
  auto nested = load_config(path, {});
  REQUIRE_FALSE(nested.has_value());
  CHECK(nested.error().message.find(":3:3: duplicate key 'dry_run' (first at line 2)") != std::string::npos);
}

TEST_CASE("SELFHEAL_<PATH> overrides every section; an unknown SELFHEAL_ variable is a warning") {
  setenv("SELFHEAL_HEALER_DRY_RUN", "true", 1);
  setenv("SELFHEAL_LLM_MAX_SAMPLES", "3", 1);
  setenv("SELFHEAL_LLM_BUDGET_DAILY_CALLS", "5", 1);
  setenv("SELFHEAL_INGEST_LOKI_PUSH_ENABLED", "false", 1);
  setenv("SELFHEAL_SERVER_TLS_MIN_VERSION", "1.3", 1);
  setenv("SELFHEAL_HEALER_NOTIFY_LEVELS_WARNING_THRESHOLD", "7", 1);
  setenv("SELFHEAL_HEALER_DRYRUN", "true", 1);  // a typo
  auto c = load_config("", {});
  REQUIRE_MESSAGE(c.has_value(), c.error().message);
  CHECK(c->healer.dry_run);
  CHECK(c->llm.max_samples == 3);
  CHECK(c->llm.budget.daily_calls == 5);
  CHECK_FALSE(c->ingest.loki_push.enabled);
  CHECK(c->server.tls.min_version == "1.3");
  CHECK(c->healer.notify.levels[1].threshold == 7);
  std::string warned;
  for (const auto& w : c->warnings) warned += w + "\n";
  CHECK(warned.find("SELFHEAL_HEALER_DRYRUN ") != std::string::npos);
  CHECK(warned.find("SELFHEAL_HEALER_DRY_RUN ") == std::string::npos);
  CHECK(warned.find("SELFHEAL_LLM_MAX_SAMPLES") == std::string::npos);
  // A bad value from the environment names the variable.
  setenv("SELFHEAL_LLM_MAX_SAMPLES", "9", 1);
  auto bad = load_config("", {});
  REQUIRE_FALSE(bad.has_value());
  CHECK_MESSAGE(bad.error().message.find("SELFHEAL_LLM_MAX_SAMPLES (environment): llm.max_samples: must be between 3 "
                                         "and 5") != std::string::npos,
                bad.error().message);
  for (const char* v : {"SELFHEAL_HEALER_DRY_RUN", "SELFHEAL_LLM_MAX_SAMPLES", "SELFHEAL_LLM_BUDGET_DAILY_CALLS",
                        "SELFHEAL_INGEST_LOKI_PUSH_ENABLED", "SELFHEAL_SERVER_TLS_MIN_VERSION",
                        "SELFHEAL_HEALER_NOTIFY_LEVELS_WARNING_THRESHOLD", "SELFHEAL_HEALER_DRYRUN"})
    unsetenv(v);
}
