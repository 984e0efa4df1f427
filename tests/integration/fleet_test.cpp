// Issue 18 acceptance against real processes: a PostgreSQL server from Debian's packages (temp dir,
// unprivileged user, random port), librdkafka's mock cluster in its own process (12 partitions), kcat
// producing, and three `selfheal serve` instances in one consumer group sharing the database.
// FLEET_LINES (default 60,000; the acceptance run uses 1,000,000) sets the number of lines.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "tests/integration/healer_support.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace selfheal::healer_it;
using namespace std::chrono_literals;

namespace {

/// selfheal_kafka_mock (tests/support/kafka_mock_main.cpp) as a child process.
class KafkaMockProcess {
 public:
  KafkaMockProcess(const test::TempDir& dir, const std::string& topic) {
    const std::string bin = std::filesystem::path(test::selfheal_binary()).parent_path().string() + "/selfheal_kafka_mock";
    REQUIRE_MESSAGE(std::filesystem::exists(bin), "build the selfheal_kafka_mock target");
    out_ = dir.file("mock.out");
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(bin.c_str(), bin.c_str(), "--brokers", "3", "--topic", topic.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    REQUIRE(test::wait_until([&] { return test::read_file(out_).find("BOOTSTRAP ") != std::string::npos; }, 20s));
    const std::string all = test::read_file(out_);
    const auto at = all.find("BOOTSTRAP ") + 10;
    bootstrap_ = all.substr(at, all.find('\n', at) - at);
  }
  ~KafkaMockProcess() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  pid_t pid_ = -1;
  std::string out_, bootstrap_;
};

std::int64_t env_int(const char* name, std::int64_t def) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoll(v) : def;
}

/// Lines keyed over 64 hosts: mostly INFO (counted, not fingerprinted) and three error templates whose
/// numbers vary, so every partition carries every fingerprint.
std::string lines(std::int64_t from, std::int64_t to) {
  std::string out;
  out.reserve(static_cast<std::size_t>(to - from) * 90);
  for (std::int64_t n = from; n < to; ++n) {
    out += "host-" + std::to_string(n % 64) + "|";
    switch (n % 10) {
      case 3: out += "ERROR payment " + std::to_string(n) + " failed: gateway timeout after " + std::to_string(n % 30) + "s"; break;
      case 6: out += "ERROR disk full on /var/lib/data" + std::to_string(n % 7) + " (" + std::to_string(n % 1000) + " bytes left)"; break;
      case 9: out += "WARN slow query took " + std::to_string(n % 5000) + " ms on table orders"; break;
      default: out += "INFO handled request " + std::to_string(n) + " in " + std::to_string(n % 97) + " ms";
    }
    out += "\n";
  }
  return out;
}

void produce(const KafkaMockProcess& mk, const std::string& data) {
  auto r = test::run({"/usr/bin/kcat", "-P", "-b", mk.bootstrap(), "-t", "logs", "-K", "|", "-z", "none", "-X",
                      "linger.ms=50"},
                     data, {}, 300s);
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}

std::int64_t counted(const test::PostgresServer& pg) {
  std::this_thread::sleep_for(200ms);  // polled in a loop: a connection per call, a few per second
  try {
    return std::stoll("0" + pg.query("SELECT coalesce(sum(lines), 0) FROM source_counts WHERE source = 'kafka'", "fleet"));
  } catch (const std::exception&) {
    return -1;  // the server is restarting
  }
}

std::string fleet_config(const test::TempDir& dir, const std::string& bootstrap) {
  const std::string path = dir.file("fleet.yaml");
  test::write_file(path, "storage:\n"
                         "  type: postgres\n"
                         "  dsn_env: FLEET_DSN\n"
                         "  flush_interval_ms: 100\n"
                         "fingerprint:\n"
                         "  learn_interval_ms: 0\n"
                         "ingest:\n"
                         "  kafka:\n"
                         "    - name: kafka\n"
                         "      brokers: \"" + bootstrap + "\"\n"
                         "      group_id: fleet\n"
                         "      topics: [logs]\n"
                         "      format: text\n"
                         "      session_timeout_ms: 3000\n"
                         "      heartbeat_interval_ms: 300\n"
                         "      auto_commit_interval_ms: 200\n"
                         "      drain_timeout_ms: 2000\n");
  return path;
}

bool require_postgres() {
  REQUIRE_MESSAGE(test::postgres_installed(), "install PostgreSQL (scripts/install-deps.sh)");
  return true;
}

/// PostgreSQL with an empty database, the mock cluster with a 12-partition topic, and the config every
/// instance runs with (its DSN in FLEET_DSN).
struct Fleet {
  bool installed = require_postgres();
  test::TempDir dir;
  test::PostgresServer pg;
  std::string dsn = pg.fresh_database("fleet");
  KafkaMockProcess mk{dir, "logs:12"};
  std::string config = fleet_config(dir, mk.bootstrap());
  std::map<std::string, std::string> env = {{"FLEET_DSN", dsn}};
};

}  // namespace

TEST_CASE("fleet: three instances in one group, one killed -9 and restarted, one stopped: exact totals in PostgreSQL") {
  Fleet f;
  // Plain references (not a structured binding: clang 14 cannot capture one in the lambdas below).
  auto& dir = f.dir;
  auto& pg = f.pg;
  auto& mk = f.mk;
  const auto& config = f.config;
  const auto& env = f.env;
  const std::int64_t total = env_int("FLEET_LINES", 60'000);
  const auto started = std::chrono::steady_clock::now();

  std::optional<test::ServeProcess> a(std::in_place, dir.file("a"), config, env);
  std::optional<test::ServeProcess> b(std::in_place, dir.file("b"), config, env);
  std::optional<test::ServeProcess> c(std::in_place, dir.file("c"), config, env);
  produce(mk, lines(0, total / 3));
  // kill -9 while it ingests: some lines counted, not all.
  REQUIRE(test::wait_until([&] { return counted(pg) > total / 30; }, 120s));
  const auto at_kill = counted(pg);
  a->stop(SIGKILL);
  a.reset();
  MESSAGE("killed -9 instance a with " << at_kill << " of " << total / 3 << " produced lines counted");
  CHECK(at_kill < total / 3);
  produce(mk, lines(total / 3, 2 * total / 3));
  a.emplace(dir.file("a"), config, env);
  // b stops for good (SIGTERM: it finishes its batch and leaves the group).
  REQUIRE(test::wait_until([&] { return counted(pg) > total / 2; }, 180s));
  CHECK(b->stop(SIGTERM) == 0);
  b.reset();
  produce(mk, lines(2 * total / 3, total));
  REQUIRE(test::wait_until([&] { return counted(pg) >= total; }, 600s));
  // Nothing arrives twice later (a double count would show up as more than the total).
  std::this_thread::sleep_for(3s);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  CHECK(counted(pg) == total);
  CHECK(pg.query("SELECT count(*) FROM dead_letters", "fleet") == "0");
  const auto kept = std::stoll(pg.query("SELECT sum(count) FROM fingerprints", "fleet"));
  CHECK(kept == total / 10 * 3);  // ERROR, ERROR, WARN in every 10 lines (total is a multiple of 10)
  MESSAGE("fleet: " << counted(pg) << " lines counted of " << total << " produced in " << secs << " s; " << kept
                    << " events kept");

  // Every fingerprint id is the one `selfheal fingerprint` computes for the same lines, whichever
  // instance saw them: three templates, three ids.
  std::string sample;
  for (int n : {3, 6, 9, 13, 16, 19}) {
    const std::string l = lines(n, n + 1);
    sample += l.substr(l.find('|') + 1);
  }
  auto fp = test::run({test::selfheal_binary(), "fingerprint", "--no-learn"}, sample);
  REQUIRE(fp.exit_code == 0);
  std::set<std::string> expected;
  std::istringstream in(fp.out);
  for (std::string line; std::getline(in, line);) expected.insert(line.substr(0, line.find('\t')));
  CHECK(expected.size() == 3);
  std::set<std::string> stored;
  std::istringstream ids(pg.query("SELECT string_agg(id, ' ' ORDER BY id) FROM fingerprints", "fleet"));
  for (std::string id; ids >> id;) stored.insert(id);
  CHECK(stored == expected);
  // Every instance serves the same numbers from the shared store.
  for (auto* s : {&*a, &*c}) {
    auto stats = get_json(*s, "/api/v1/stats");
    MESSAGE("instance stats: " << stats.dump());
  }
}

TEST_CASE("fleet: PostgreSQL restarted mid-ingest: ingest pauses and resumes with exact totals") {
  Fleet f;
  // Plain references (not a structured binding: clang 14 cannot capture one in the lambdas below).
  auto& dir = f.dir;
  auto& pg = f.pg;
  auto& mk = f.mk;
  const auto& config = f.config;
  const auto& env = f.env;
  const std::int64_t total = env_int("FLEET_LINES", 60'000) / 2;
  test::ServeProcess a(dir.file("a"), config, env);
  test::ServeProcess b(dir.file("b"), config, env);
  produce(mk, lines(0, total));
  REQUIRE(test::wait_until([&] { return counted(pg) > total / 20; }, 120s));
  pg.stop();
  std::this_thread::sleep_for(3s);  // commits fail meanwhile: nothing is acknowledged, nothing lost
  CHECK(a.running());
  CHECK(b.running());
  pg.start();
  REQUIRE(test::wait_until([&] { return counted(pg) >= total; }, 300s));
  std::this_thread::sleep_for(2s);
  CHECK(counted(pg) == total);
  CHECK(a.running());
  CHECK(b.running());
  MESSAGE("PostgreSQL restarted mid-ingest: " << counted(pg) << " of " << total << " lines counted");
}

TEST_CASE("fleet: a storm on three instances runs the action as often as the fleet-wide limit allows, one approval") {
  REQUIRE_MESSAGE(test::postgres_installed(), "install PostgreSQL (scripts/install-deps.sh)");
  test::TempDir dir;
  test::PostgresServer pg;
  const std::string dsn = pg.fresh_database("fleet");
  Recorder rec(dir, 0);
  const std::string config = dir.file("healer.yaml");
  test::write_file(config, "storage:\n  type: postgres\n  dsn_env: FLEET_DSN\n  flush_interval_ms: 50\n" + header() +
                               "  strategies:\n"
                               "    - name: restart-orders\n"
                               "      match: {service: orders, message_regex: 'deadlock detected'}\n"
                               "      actions:\n"
                               "        - {type: exec, argv: " + rec.argv_yaml({"restart", "{service}"}) + "}\n"
                               "      guards: {cooldown_secs: 0, max_runs: 3, per_secs: 3600}\n"
                               "    - name: rollback-billing\n"
                               "      match: {service: billing, message_regex: 'invoice failed'}\n"
                               "      requires_approval: true\n"
                               "      approval_ttl_secs: 600\n"
                               "      actions:\n"
                               "        - {type: exec, argv: " + rec.argv_yaml({"rollback", "{service}"}) + "}\n");
  const std::map<std::string, std::string> env = {{"FLEET_DSN", dsn}};
  std::vector<std::unique_ptr<test::ServeProcess>> fleet;
  for (const char* name : {"a", "b", "c"}) fleet.push_back(std::make_unique<test::ServeProcess>(dir.file(name), config, env));
  // The storm reaches every instance, many times over.
  for (int round = 0; round < 20; ++round)
    for (auto& s : fleet) {
      push(*s, "orders", "ERROR deadlock detected on table orders", 10);
      push(*s, "billing", "ERROR invoice failed for customer", 10);
    }
  REQUIRE(test::wait_until([&] { return rec.lines().size() >= 3; }, 30s));
  std::this_thread::sleep_for(3s);  // every instance had its chance to act again
  std::size_t restarts = 0;
  for (const auto& l : rec.lines()) restarts += l.find("|restart|") != std::string::npos;
  CHECK(restarts == 3);  // the fleet-wide limit, not 3 per instance
  const auto approvals = get_json(*fleet[0], "/api/v1/approvals?status=all")["approvals"];
  CHECK(approvals.size() == 1);
  for (auto& s : fleet) CHECK(get_json(*s, "/api/v1/approvals?status=pending")["approvals"].size() == 1);
  MESSAGE("storm on 3 instances: " << restarts << " runs (limit 3/hour fleet-wide), " << approvals.size()
                                   << " approval");
}
