// Syslog TCP ingest through a running `selfheal serve`, against Loki push of the same lines to the same
// server in the same run (the baseline): lines/s from the first byte sent until serve counts every line
// (/api/v1/stats), medians of interleaved runs.
//
//   syslog_bench --http http://127.0.0.1:8080 --syslog 127.0.0.1:6514 [--lines N] [--repeat K]
//                [--connections C]
//
// serve needs `ingest.syslog: [{name: bench, tcp_listen: 127.0.0.1:6514}]` in its config. Input: the 8
// public Loghub-2k logs (../shared/data/loghub-2k), repeated up to N lines; syslog sends each line as an
// RFC 5424 message (APP-NAME = the log's name) octet-counted over one TCP connection, as rsyslog's
// omfwd does; Loki push sends 1,000-line JSON batches (one stream per log) over C keep-alive
// connections (default 8), each answered after the commit.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Line {
  std::string app;
  std::string text;
};

std::vector<Line> load(std::size_t n) {
  const char* names[] = {"Apache", "BGL", "HDFS", "HPC", "Hadoop", "OpenSSH", "Spark", "Zookeeper"};
  std::vector<Line> all;
  for (const char* name : names) {
    std::ifstream in((std::string(SELFHEAL_SHARED_DIR) + "/data/loghub-2k/") + name + "/" + name + "_2k.log");
    std::string l;
    while (std::getline(in, l))
      if (!l.empty()) all.push_back({name, l});
  }
  std::vector<Line> out;
  for (std::size_t i = 0; !all.empty() && out.size() < n; ++i) out.push_back(all[i % all.size()]);
  return out;
}

std::int64_t counted(httplib::Client& cli) {
  auto r = cli.Get("/api/v1/stats");
  if (!r || r->status != 200) return -1;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return -1;
  return j["totals"]["lines"].get<std::int64_t>();
}

double wait_counted(httplib::Client& cli, std::int64_t target, Clock::time_point t0) {
  for (int i = 0; i < 60'000; ++i) {
    if (counted(cli) >= target) return std::chrono::duration<double>(Clock::now() - t0).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

bool send_syslog(const std::string& host, int port, const std::vector<Line>& lines) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
  std::string buf;
  auto flush = [&] {
    for (std::size_t off = 0; off < buf.size();) {
      ssize_t n = ::send(fd, buf.data() + off, buf.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    buf.clear();
    return true;
  };
  bool ok = true;
  for (const auto& l : lines) {
    const std::string m = "<14>1 - bench-host " + l.app + " - - - " + l.text;
    buf += std::to_string(m.size()) + " " + m;
    if (buf.size() > 256 * 1024 && !(ok = flush())) break;
  }
  ok = ok && flush();
  ::close(fd);
  return ok;
}

bool send_loki(const std::string& url, const std::vector<Line>& lines, int connections, std::int64_t& seq) {
  constexpr std::size_t kBatch = 1000;
  std::vector<std::string> bodies;
  for (std::size_t i = 0; i < lines.size(); i += kBatch) {
    nlohmann::json streams = nlohmann::json::object();
    for (std::size_t k = i; k < std::min(lines.size(), i + kBatch); ++k) {
      auto& s = streams[lines[k].app];
      if (s.is_null()) s = nlohmann::json::array();
      s.push_back({std::to_string(1'700'000'000'000'000'000LL + ++seq), lines[k].text});
    }
    nlohmann::json body = {{"streams", nlohmann::json::array()}};
    for (auto& [app, values] : streams.items())
      body["streams"].push_back({{"stream", {{"app", app}, {"job", "bench"}}}, {"values", values}});
    bodies.push_back(body.dump());
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> ok{true};
  std::vector<std::thread> ts;
  for (int c = 0; c < connections; ++c) {
    ts.emplace_back([&] {
      httplib::Client cli(url);
      cli.set_keep_alive(true);
      cli.set_read_timeout(60, 0);
      for (std::size_t i; (i = next++) < bodies.size();) {
        for (;;) {
          auto r = cli.Post("/loki/api/v1/push", bodies[i], "application/json");
          if (r && r->status == 204) break;
          if (r && (r->status == 429 || r->status == 503)) {  // retry as Promtail does
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
          }
          ok = false;
          break;
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  return ok;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url, syslog_addr;
  std::size_t n = 200'000;
  int repeat = 3, connections = 8;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--http") url = next();
    else if (a == "--syslog") syslog_addr = next();
    else if (a == "--lines") n = std::stoul(next());
    else if (a == "--repeat") repeat = std::max(1, std::stoi(next()));
    else if (a == "--connections") connections = std::max(1, std::stoi(next()));
  }
  const auto colon = syslog_addr.rfind(':');
  if (url.empty() || colon == std::string::npos) {
    std::fprintf(stderr, "usage: syslog_bench --http URL --syslog HOST:PORT [--lines N] [--repeat K] [--connections C]\n");
    return 2;
  }
  const std::string host = syslog_addr.substr(0, colon);
  const int port = std::stoi(syslog_addr.substr(colon + 1));
  const auto lines = load(n);
  if (lines.size() != n) {
    std::fprintf(stderr, "no input: %s/data/loghub-2k\n", SELFHEAL_SHARED_DIR);
    return 1;
  }
  httplib::Client cli(url);
  std::printf("input: %zu lines of the 8 public Loghub-2k logs; syslog: 1 TCP connection, RFC 5424 octet-counted; "
              "Loki push: JSON, 1,000 lines per push, %d connections; %d interleaved runs\n",
              n, connections, repeat);
  std::vector<double> loki_rate, sys_rate;
  std::int64_t seq = 0;
  bool exact = true;
  for (int k = 0; k < repeat; ++k) {
    std::int64_t before = counted(cli);
    auto t0 = Clock::now();
    if (!send_loki(url, lines, connections, seq)) return std::fprintf(stderr, "loki push failed\n"), 1;
    double secs = wait_counted(cli, before + static_cast<std::int64_t>(n), t0);
    loki_rate.push_back(secs > 0 ? static_cast<double>(n) / secs : 0);
    exact = exact && counted(cli) == before + static_cast<std::int64_t>(n);
    before = counted(cli);
    t0 = Clock::now();
    if (!send_syslog(host, port, lines)) return std::fprintf(stderr, "syslog send failed\n"), 1;
    secs = wait_counted(cli, before + static_cast<std::int64_t>(n), t0);
    sys_rate.push_back(secs > 0 ? static_cast<double>(n) / secs : 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    exact = exact && counted(cli) == before + static_cast<std::int64_t>(n);
    std::printf("run %d: loki push %.0f lines/s | syslog tcp %.0f lines/s\n", k + 1, loki_rate.back(), sys_rate.back());
  }
  const double l = median(loki_rate), s = median(sys_rate);
  std::printf("median: loki push (baseline) %.0f lines/s, syslog tcp %.0f lines/s: %.2fx the baseline; counts %s\n", l,
              s, l > 0 ? s / l : 0, exact ? "exact" : "MISMATCH");
  return exact ? 0 : 1;
}
