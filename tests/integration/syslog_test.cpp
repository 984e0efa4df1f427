// Syslog through a real `selfheal serve` with real senders started by the test: Debian's rsyslogd in
// the foreground with its own config (imfile -> omfwd TCP, RFC 5424, octet-counting, a disk-assisted
// retrying action queue), logger(1) over UDP, and malformed input over both. Counts come back through
// the API and must be exact.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;

namespace {

const char* kRsyslogd = "/usr/sbin/rsyslogd";

std::int64_t source_lines(const std::string& base, const std::string& source) {
  auto r = test::http_get(base, "/api/v1/stats");
  if (r.status != 200) return -1;
  auto j = nlohmann::json::parse(r.body);
  auto it = j["by_source"].find(source);
  return it == j["by_source"].end() ? 0 : (*it)["lines"].get<std::int64_t>();
}

std::int64_t metric(const std::string& base, const std::string& name, const std::string& must) {
  auto r = test::http_get(base, "/metrics");
  std::int64_t total = 0;
  std::size_t pos = 0;
  while (pos < r.body.size()) {
    auto end = r.body.find('\n', pos);
    if (end == std::string::npos) end = r.body.size();
    const std::string line = r.body.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind(name + "{", 0) == 0 && line.find(must) != std::string::npos)
      total += std::stoll(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

/// A child process (no shell), its stdout and stderr in `out_file`; SIGTERM (then SIGKILL) on destruction.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& out_file) : out_(out_file) {
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::fopen(out_file.c_str(), "w");
      if (f) {
        ::dup2(::fileno(f), 1);
        ::dup2(::fileno(f), 2);
      }
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Child() { stop(); }
  std::string output() const { return test::read_file(out_); }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st = 0;
    for (int i = 0; i < 500; ++i) {
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }

 private:
  std::string out_;
  pid_t pid_ = -1;
};

/// rsyslogd -n (foreground) with its own config, pid file and work directory: no system service.
class Rsyslogd : public Child {
 public:
  Rsyslogd(const test::TempDir& dir, const std::string& conf, const std::string& tag = "rsyslog")
      : Child({kRsyslogd, "-n", "-f", write(dir.file(tag + ".conf"), conf), "-i", dir.file(tag + ".pid")},
              dir.file(tag + ".out")) {}

 private:
  static std::string write(const std::string& path, const std::string& content) {
    test::write_file(path, content);
    return path;
  }
};

std::string rsyslog_conf(const test::TempDir& dir, const std::string& input, int port) {
  const std::string work = dir.file("rsyslog-work");
  std::filesystem::create_directories(work);
  return "global(workDirectory=\"" + work + "\" localHostName=\"rs-host\" maxMessageSize=\"64k\")\n"
         "module(load=\"imfile\" mode=\"polling\" PollingInterval=\"1\")\n"
         "input(type=\"imfile\" File=\"" + input + "\" Tag=\"checkout\" Severity=\"error\" Facility=\"local3\")\n"
         "action(type=\"omfwd\" target=\"127.0.0.1\" port=\"" + std::to_string(port) + "\" protocol=\"tcp\"\n"
         "       TCP_Framing=\"octet-counted\" template=\"RSYSLOG_SyslogProtocol23Format\"\n"
         "       queue.type=\"LinkedList\" queue.filename=\"fwd\" queue.size=\"500000\" queue.saveOnShutdown=\"on\"\n"
         "       queue.dequeueBatchSize=\"1024\" action.resumeRetryCount=\"-1\" action.resumeInterval=\"1\")\n";
}

/// syslog-ng unpacked by scripts/install-deps.sh (its package conflicts with rsyslog's).
const std::string kSyslogNgRoot = "/opt/selfheal-test/syslog-ng";

std::int64_t lines_env(const char* name, std::int64_t dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoll(v) : dflt;
}

}  // namespace

TEST_CASE("syslog: rsyslog forwards lines over TCP (RFC 5424, octet-counting): exact count, fields mapped") {
  if (::access(kRsyslogd, X_OK) != 0) {
    MESSAGE("rsyslogd not installed (scripts/install-deps.sh): skipped");
    return;
  }
  const std::int64_t n = lines_env("SELFHEAL_SYSLOG_LINES", 100'000);
  test::TempDir dir;
  const int port = test::free_port();
  const auto cfg = dir.file("selfheal.yaml");
  test::write_file(cfg, "ingest:\n  syslog:\n    - name: rsys\n      tcp_listen: 127.0.0.1:" + std::to_string(port) + "\n");
  const std::string input = dir.file("app.log");
  {
    std::ofstream out(input);
    for (std::int64_t i = 0; i < n; ++i) out << "order " << i << " rejected: card declined\n";
  }
  test::ServeProcess serve(dir.file("data"), cfg);
  const auto t0 = std::chrono::steady_clock::now();
  Rsyslogd rs(dir, rsyslog_conf(dir, input, port));
  CHECK(test::wait_until([&] { return source_lines(serve.base_url(), "rsys") >= n; }, 180s));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE(n << " lines through rsyslog -> selfheal in " << secs << " s");
  std::this_thread::sleep_for(500ms);
  CHECK(source_lines(serve.base_url(), "rsys") == n);
  CHECK(metric(serve.base_url(), "selfheal_source_dead_letters_total", "source=\"rsys\"") == 0);
  // Fields: host from HOSTNAME, service from APP-NAME, level from the severity (error).
  auto fps = test::http_get(serve.base_url(), "/api/v1/fingerprints?limit=5");
  REQUIRE(fps.status == 200);
  CHECK(fps.body.find("checkout") != std::string::npos);
  auto j = nlohmann::json::parse(fps.body);
  REQUIRE(j["fingerprints"].size() == 1);  // one template: "order <n> rejected: card declined"
  const auto& fp = j["fingerprints"][0];
  CHECK(fp["count"].get<std::int64_t>() == n);
  CHECK(fp["severity"] == "error");
  CHECK(fp["services"][0]["name"] == "checkout");
  CHECK(fp["hosts"][0]["name"] == "rs-host");
  rs.stop();
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("syslog: logger(1) over UDP, and malformed input over TCP and UDP is refused, kept and counted") {
  test::TempDir dir;
  const int tport = test::free_port();
  const int uport = test::free_port();
  const auto cfg = dir.file("selfheal.yaml");
  test::write_file(cfg, "ingest:\n  syslog:\n    - name: edge\n      tcp_listen: 127.0.0.1:" + std::to_string(tport) +
                            "\n      udp_listen: 127.0.0.1:" + std::to_string(uport) + "\n      max_message_bytes: 2048\n");
  test::ServeProcess serve(dir.file("data"), cfg);
  // logger from util-linux, RFC 5424 and RFC 3164, one datagram each.
  const int logged = 50;
  for (int i = 0; i < logged; ++i) {
    auto r = test::run({"/usr/bin/logger", "--udp", "--server", "127.0.0.1", "--port", std::to_string(uport),
                        i % 2 ? "--rfc5424" : "--rfc3164", "--tag", "nightly", "-p", "user.err",
                        "--id=4242", "backup " + std::to_string(i) + " failed: disk full"});
    REQUIRE(r.exit_code == 0);
  }
  CHECK(test::wait_until([&] { return source_lines(serve.base_url(), "edge") >= logged; }, 20s));
  CHECK(source_lines(serve.base_url(), "edge") == logged);
  auto fps = test::http_get(serve.base_url(), "/api/v1/fingerprints?limit=5");
  CHECK(fps.body.find("nightly") != std::string::npos);

  // Malformed: SELFHEAL_SYSLOG_MALFORMED of them (default 5,000) with good messages between.
  const std::int64_t bad = lines_env("SELFHEAL_SYSLOG_MALFORMED", 5'000);
  const std::vector<std::string> shapes = {
      "no pri", "<999>1 - h a - - - x", "<13>9 - h a - - - x", "<13>1 notatime h a - - - x",
      "<13>1 - h a - - [unterminated", std::string("<13>1 - h a - - - nul\0byte", 26), std::string(3000, 'A'),
      "<13>1 - h a - - [id k=noquote] x"};
  std::string tcp_bytes;
  std::int64_t good = 0;
  for (std::int64_t i = 0; i < bad; ++i) {
    const std::string& m = shapes[static_cast<std::size_t>(i) % shapes.size()];
    tcp_bytes += std::to_string(m.size()) + " " + m;
    if (i % 10 == 0) {
      const std::string g = "<11>1 - h app - - - good " + std::to_string(i);
      tcp_bytes += std::to_string(g.size()) + " " + g;
      ++good;
    }
  }
  tcp_bytes += "77x this count is broken: the connection is closed";
  auto r = test::run({"/usr/bin/python3", "-c",
                      "import socket,sys\n"
                      "s=socket.create_connection(('127.0.0.1'," + std::to_string(tport) + "))\n"
                      "s.sendall(sys.stdin.buffer.read())\ns.close()\n"},
                     tcp_bytes);
  REQUIRE(r.exit_code == 0);
  CHECK(test::wait_until([&] { return metric(serve.base_url(), "selfheal_source_dead_letters_total", "source=\"edge\"") >= bad + 1; }, 30s));
  CHECK(test::wait_until([&] { return source_lines(serve.base_url(), "edge") >= logged + good; }, 10s));
  CHECK(metric(serve.base_url(), "selfheal_source_dead_letters_total", "source=\"edge\"") == bad + 1);
  CHECK(source_lines(serve.base_url(), "edge") == logged + good);
  auto dl = test::http_get(serve.base_url(), "/api/v1/dead-letters?source=edge&limit=20");
  REQUIRE(dl.status == 200);
  for (const char* reason : {"bad_pri", "bad_version", "bad_timestamp", "bad_structured_data", "nul_byte", "too_large"})
    CHECK_MESSAGE(metric(serve.base_url(), "selfheal_source_events_rejected_total",
                         std::string("reason=\"") + reason + "\"") > 0,
                  reason);
  CHECK(metric(serve.base_url(), "selfheal_source_events_rejected_total", "reason=\"bad_framing\"") == 1);
  CHECK(serve.running());
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("syslog: kill -9 of selfheal during an rsyslog run, restart: what rsyslog retried arrives, loss measured") {
  // rsyslog's omfwd keeps unsent messages in its disk-assisted queue and retries while selfheal is
  // down; what it had already written into the killed connection is beyond its reach (plain TCP
  // syslog has no acknowledgements, ingest/README.md "Syslog"). The test checks: nothing is counted
  // twice, every line arrives except at most what one crash window can hold, and the lines after
  // the restart all arrive (the queue retried).
  if (::access(kRsyslogd, X_OK) != 0) {
    MESSAGE("rsyslogd not installed (scripts/install-deps.sh): skipped");
    return;
  }
  const std::int64_t n = lines_env("SELFHEAL_SYSLOG_CRASH_LINES", 100'000);
  test::TempDir dir;
  const int port = test::free_port();
  const auto cfg = dir.file("selfheal.yaml");
  test::write_file(cfg, "ingest:\n  syslog:\n    - name: rsys\n      tcp_listen: 127.0.0.1:" + std::to_string(port) + "\n");
  const std::string input = dir.file("app.log");
  std::ofstream out(input);
  for (std::int64_t i = 0; i < n / 2; ++i) out << "order " << i << " rejected: card declined\n";
  out.flush();
  std::int64_t before_kill = 0;
  {
    test::ServeProcess serve(dir.file("data"), cfg);
    Rsyslogd rs(dir, rsyslog_conf(dir, input, port));
    REQUIRE(test::wait_until([&] { return source_lines(serve.base_url(), "rsys") > 0; }, 60s));
    for (std::int64_t i = n / 2; i < n; ++i) out << "order " << i << " rejected: card declined\n";
    out.flush();
    before_kill = source_lines(serve.base_url(), "rsys");
    CHECK(serve.stop(SIGKILL) == -1);
    MESSAGE("killed selfheal with " << before_kill << " of " << n << " lines counted");
    CHECK(before_kill < n);  // the kill landed mid-run
    std::this_thread::sleep_for(2s);  // rsyslog notices the broken connection and queues
    test::ServeProcess again(dir.file("data"), cfg);
    std::int64_t last = -1, same = 0;
    CHECK(test::wait_until(
        [&] {
          const auto now = source_lines(again.base_url(), "rsys");
          same = now == last ? same + 1 : 0;
          last = now;
          return now >= n || same > 500;  // complete, or 5 s without progress
        },
        180s));
    const auto got = source_lines(again.base_url(), "rsys");
    MESSAGE("after restart: " << got << " of " << n << " lines counted, " << (n - got) << " lost in the crash window");
    CHECK(got <= n);                  // nothing twice
    CHECK(n - got <= 50'000);         // at most the crash window (socket buffers + one commit interval)
    CHECK(got > before_kill);         // the queue retried after the restart
    rs.stop();
    CHECK(again.stop(SIGTERM) == 0);
  }
}

TEST_CASE("syslog: rsyslog's omkafka produces into the librdkafka mock cluster, selfheal consumes: exact count") {
  if (::access(kRsyslogd, X_OK) != 0 || !std::filesystem::exists("/usr/lib/x86_64-linux-gnu/rsyslog/omkafka.so")) {
    MESSAGE("rsyslogd or rsyslog-kafka not installed (scripts/install-deps.sh): skipped");
    return;
  }
  const std::string build = std::filesystem::path(test::selfheal_binary()).parent_path().string();
  REQUIRE_MESSAGE(std::filesystem::exists(build + "/selfheal_kafka_mock"), "build the selfheal_kafka_mock target");
  const std::int64_t n = lines_env("SELFHEAL_SYSLOG_KAFKA_LINES", 20'000);
  test::TempDir dir;
  Child mock({build + "/selfheal_kafka_mock", "--brokers", "3", "--topic", "syslog:4"}, dir.file("mock.out"));
  std::string bootstrap;
  REQUIRE(test::wait_until([&] {
    const auto o = mock.output();
    const auto at = o.find("BOOTSTRAP ");
    if (at == std::string::npos || o.find('\n', at) == std::string::npos) return false;
    bootstrap = o.substr(at + 10, o.find('\n', at) - at - 10);
    return true;
  }));
  std::string brokers;  // rsyslog wants an array
  for (std::size_t pos = 0; pos <= bootstrap.size();) {
    auto comma = bootstrap.find(',', pos);
    if (comma == std::string::npos) comma = bootstrap.size();
    brokers += (brokers.empty() ? "\"" : ",\"") + bootstrap.substr(pos, comma - pos) + "\"";
    pos = comma + 1;
  }
  const std::string input = dir.file("app.log");
  {
    std::ofstream out(input);
    for (std::int64_t i = 0; i < n; ++i) out << "2026-12-04 11:00:00 ERROR payment " << i << " timed out\n";
  }
  const std::string work = dir.file("rsyslog-work");
  std::filesystem::create_directories(work);
  Rsyslogd rs(dir,
              "global(workDirectory=\"" + work + "\" localHostName=\"rs-host\")\n"
              "module(load=\"imfile\" mode=\"polling\" PollingInterval=\"1\")\n"
              "module(load=\"omkafka\")\n"
              "template(name=\"line\" type=\"string\" string=\"%msg%\")\n"
              "input(type=\"imfile\" File=\"" + input + "\" Tag=\"payments\")\n"
              "action(type=\"omkafka\" broker=[" + brokers + "] topic=\"syslog\" template=\"line\"\n"
              "       confParam=[\"queue.buffering.max.ms=5\"] action.resumeRetryCount=\"-1\")\n",
              "rsyslog-kafka");
  const auto cfg = dir.file("selfheal.yaml");
  test::write_file(cfg, "ingest:\n  kafka:\n    - name: rk\n      brokers: " + bootstrap +
                            "\n      topics: [syslog]\n      format: text\n      session_timeout_ms: 6000\n"
                            "      drain_timeout_ms: 2000\n");
  test::ServeProcess serve(dir.file("data"), cfg);
  CHECK(test::wait_until([&] { return source_lines(serve.base_url(), "rk") >= n; }, 120s));
  std::this_thread::sleep_for(500ms);
  INFO("rsyslog: " << rs.output());
  CHECK(source_lines(serve.base_url(), "rk") == n);
  rs.stop();
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("syslog: syslog-ng over TCP with structured data: exact count, SD params, host and app mapped") {
  const std::string bin = kSyslogNgRoot + "/usr/sbin/syslog-ng";
  if (::access(bin.c_str(), X_OK) != 0) {
    MESSAGE("syslog-ng not unpacked (scripts/install-deps.sh): skipped");
    return;
  }
  const std::int64_t n = lines_env("SELFHEAL_SYSLOG_NG_LINES", 20'000);
  test::TempDir dir;
  const int port = test::free_port();
  const auto cfg = dir.file("selfheal.yaml");
  test::write_file(cfg, "ingest:\n  syslog:\n    - name: ng\n      tcp_listen: 127.0.0.1:" + std::to_string(port) + "\n");
  const std::string input = dir.file("billing.log");
  {
    std::ofstream out(input);
    for (std::int64_t i = 0; i < n; ++i) out << "invoice " << i << " could not be rendered: template missing\n";
  }
  test::ServeProcess serve(dir.file("data"), cfg);
  // The syslog() driver: RFC 5424 with octet-counting; structured data set by a rewrite rule.
  const std::string conf = "@version: 3.38\n"
                           "options { keep-hostname(yes); use-dns(no); time-reopen(1); };\n"
                           "source s_in { file(\"" + input + "\" program-override(\"billing\") host-override(\"ng-host\")"
                           " follow-freq(1) flags(no-parse) default-priority(err)); };\n"
                           "rewrite r_sd { set(\"eu-west\" value(\".SDATA.meta@32473.region\")); set(\"4242\" value(\"PID\")); };\n"
                           "destination d_sh { syslog(\"127.0.0.1\" transport(\"tcp\") port(" + std::to_string(port) + ")); };\n"
                           "log { source(s_in); rewrite(r_sd); destination(d_sh); };\n";
  test::write_file(dir.file("syslog-ng.conf"), conf);
  const std::string lib = kSyslogNgRoot + "/usr/lib/syslog-ng";
  Child ng({"/usr/bin/env", "LD_LIBRARY_PATH=" + lib, bin, "-F", "-f", dir.file("syslog-ng.conf"),
            "--module-path=" + lib + "/3.38", "-p", dir.file("ng.pid"), "-R", dir.file("ng.persist"), "-c",
            dir.file("ng.ctl")},
           dir.file("syslog-ng.out"));
  CHECK(test::wait_until([&] { return source_lines(serve.base_url(), "ng") >= n; }, 120s));
  std::this_thread::sleep_for(500ms);
  INFO("syslog-ng: " << ng.output());
  CHECK(source_lines(serve.base_url(), "ng") == n);
  auto fps = nlohmann::json::parse(test::http_get(serve.base_url(), "/api/v1/fingerprints?limit=5").body);
  REQUIRE(fps["fingerprints"].size() == 1);
  const auto& fp = fps["fingerprints"][0];
  CHECK(fp["count"].get<std::int64_t>() == n);
  CHECK(fp["services"][0]["name"] == "billing");
  CHECK(fp["hosts"][0]["name"] == "ng-host");
  auto detail = nlohmann::json::parse(
      test::http_get(serve.base_url(), "/api/v1/fingerprints/" + fp["id"].get<std::string>()).body);
  REQUIRE(detail["samples"].size() >= 1);
  const auto& labels = detail["samples"][0]["labels"];
  CHECK(labels["sd_meta_32473_region"] == "eu-west");
  CHECK(labels["procid"] == "4242");
  CHECK(labels["app"] == "billing");
  ng.stop();
  CHECK(serve.stop(SIGTERM) == 0);
}
