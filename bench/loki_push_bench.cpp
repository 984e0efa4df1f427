// Loki push throughput.
//
//   loki_push_bench                      Google Benchmark: decode 1 MiB snappy protobuf batches (one core)
//                                        - BM_decode_only: snappy + protobuf wire decode
//                                        - BM_handle: the whole push handler (decode, labels, stitching,
//                                          field extraction) -> MB/s of uncompressed protobuf per core
//   loki_push_bench --http URL [--seconds S] [--connections C] [--lines N] [--rate-lines R] [--repeat K]
//                                        drives a running `selfheal serve` with the public Loghub-2k text
//                                        (8 real logs, one stream each): C keep-alive connections push
//                                        snappy protobuf bodies of N lines (default 100; paced to R lines/s
//                                        when given). Baseline in the same run: an in-process HTTP server
//                                        with the same thread pool that answers 204 without decoding, so
//                                        the client, HTTP and loopback cost is known. K interleaved runs
//                                        of each; prints medians of lines/s and latency, the ratio, and
//                                        serve's own count of the lines against those acknowledged.
//                                        A 204 is only sent once the batch is committed, so the latency
//                                        is arrival -> visible in the API.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "ingest/detail/loki_decode.hpp"
#include "ingest/loki_push.hpp"
#include "schema/clock.hpp"

using namespace selfheal;
namespace ld = selfheal::ingest::detail;

namespace {

// Realistic-ish lines: mostly info, some errors, one Java trace per 200 lines, 5 streams.
ld::DecodedPush make_push(std::size_t target_bytes, std::int64_t ts0 = 1'795'464'000'000'000'000LL) {
  ld::DecodedPush p;
  for (int s = 0; s < 5; ++s)
    p.streams.push_back({{{"app", "svc-" + std::to_string(s)}, {"env", "prod"}, {"host", "web-" + std::to_string(s)}}, {}});
  std::size_t bytes = 0;
  for (std::int64_t i = 0; bytes < target_bytes; ++i) {
    std::string line;
    if (i % 200 == 0) {
      line = "java.lang.IllegalStateException: order " + std::to_string(i) +
             " in bad state\n\tat com.shop.Orders.check(Orders.java:42)\n\tat com.shop.Api.handle(Api.java:7)";
    } else if (i % 10 == 0) {
      line = "2026-11-23T10:00:00.123Z ERROR payment failed for order " + std::to_string(i) + " user=u" +
             std::to_string(i % 977) + " after 3 retries";
    } else {
      line = "2026-11-23T10:00:00.123Z INFO handled GET /api/orders/" + std::to_string(i) + " in " +
             std::to_string(i % 300) + "ms status=200";
    }
    bytes += line.size() + 24;
    p.streams[static_cast<std::size_t>(i % 5)].entries.push_back({ts0 + i * 1000, std::move(line), {}});
  }
  return p;
}

void BM_decode_only(benchmark::State& state) {
  const std::string proto = ld::encode_push_protobuf(make_push(1 << 20));
  const std::string body = ld::snappy_block_encode(proto);
  for (auto _ : state) {
    auto raw = ld::snappy_block_decode(body, 64 << 20);
    auto d = ld::decode_push_protobuf(*raw);
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(proto.size()));
  state.counters["compressed_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_decode_only)->Unit(benchmark::kMillisecond);

void BM_handle(benchmark::State& state) {
  const auto push = make_push(1 << 20);
  const std::string proto = ld::encode_push_protobuf(push);
  const std::string body = ld::snappy_block_encode(proto);
  SystemClock clock;
  ingest::LokiPushOptions opts;
  opts.config.max_body_bytes = 64 << 20;
  ingest::LokiPushHandler handler(opts, clock);
  ingest::PushRequest req;
  req.content_type = "application/x-protobuf";
  req.body = body;
  std::size_t events = 0;
  for (auto _ : state) {
    auto out = handler.handle(req);
    events = out.batch.events.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(proto.size()));
  state.counters["entries"] = static_cast<double>(push.entry_count());
  state.counters["events"] = static_cast<double>(events);
}
BENCHMARK(BM_handle)->Unit(benchmark::kMillisecond);

/// The 8 public Loghub-2k logs (16,000 real lines), one stream per log.
std::vector<std::pair<std::string, std::vector<std::string>>> load_loghub() {
  std::vector<std::pair<std::string, std::vector<std::string>>> logs;
  for (const char* name : {"BGL", "HDFS", "Hadoop", "HealthApp", "Mac", "OpenSSH", "Spark", "Zookeeper"}) {
    std::ifstream in((std::string(SELFHEAL_SHARED_DIR) + "/data/loghub-2k/") + name + "/" + name + "_2k.log");
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) {
      if (!l.empty() && l.back() == '\r') l.pop_back();
      if (!l.empty()) lines.push_back(std::move(l));
    }
    if (!lines.empty()) logs.emplace_back(name, std::move(lines));
  }
  return logs;
}

struct HttpRun {
  double elapsed = 0;
  std::int64_t ok = 0, throttled = 0, failed = 0;
  std::vector<double> latencies_ms;  // sorted
  std::string first_failure;
  double lines_per_sec(int lines) const { return static_cast<double>(ok) * lines / elapsed; }
  double pct(double p) const {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(latencies_ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size())))];
  }
};

/// C keep-alive connections push snappy protobuf bodies of `lines` Loghub lines each for `seconds`.
/// Push n carries the next lines of log n % 8 (labels app=<log>), with fresh timestamps.
HttpRun push_for(const std::string& url, double seconds, int connections, int lines, double rate_lines,
                 const std::vector<std::pair<std::string, std::vector<std::string>>>& logs, std::atomic<std::int64_t>& seq) {
  HttpRun out;
  std::atomic<std::int64_t> ok{0}, failed{0}, throttled{0};
  std::mutex mu;
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
  const double pushes_per_sec = rate_lines > 0 ? rate_lines / lines : 0;
  const std::int64_t first = seq.load();
  auto worker = [&] {
    httplib::Client cli(url);
    cli.set_keep_alive(true);
    cli.set_tcp_nodelay(true);  // as Go's net/http (Promtail, Alloy) does by default
    cli.set_read_timeout(std::chrono::seconds(30));
    std::vector<double> mine;
    while (true) {
      const std::int64_t n = seq.fetch_add(1);
      if (pushes_per_sec > 0) {  // open-loop pacing: push n is due at t0 + n / rate
        auto due = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(static_cast<double>(n - first) / pushes_per_sec));
        if (due >= deadline) break;
        std::this_thread::sleep_until(due);
      } else if (std::chrono::steady_clock::now() >= deadline) {
        break;
      }
      const auto& [name, text] = logs[static_cast<std::size_t>(n) % logs.size()];
      ld::DecodedPush p;
      p.streams.push_back({{{"app", name}, {"env", "bench"}}, {}});
      const std::int64_t round = n / static_cast<std::int64_t>(logs.size());
      for (int l = 0; l < lines; ++l)
        p.streams[0].entries.push_back({1'795'464'000'000'000'000LL + n * 1000 + l,
                                        text[static_cast<std::size_t>(round * lines + l) % text.size()], {}});
      const std::string body = ld::snappy_block_encode(ld::encode_push_protobuf(p));
      const auto s = std::chrono::steady_clock::now();
      auto r = cli.Post("/loki/api/v1/push", body, "application/x-protobuf");
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count();
      if (r && r->status == 204) {
        ++ok;
        mine.push_back(ms);
      } else if (r && r->status == 429) {
        ++throttled;
      } else {
        ++failed;
        std::lock_guard lock(mu);
        if (out.first_failure.empty())
          out.first_failure = r ? "HTTP " + std::to_string(r->status) + " " + r->body : "client error " + httplib::to_string(r.error());
      }
    }
    std::lock_guard lock(mu);
    out.latencies_ms.insert(out.latencies_ms.end(), mine.begin(), mine.end());
  };
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  out.elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::sort(out.latencies_ms.begin(), out.latencies_ms.end());
  out.ok = ok;
  out.failed = failed;
  out.throttled = throttled;
  return out;
}

/// Lines `selfheal serve` has counted (GET /api/v1/stats totals.lines); -1 if unreadable.
std::int64_t counted_lines(const std::string& url) {
  httplib::Client cli(url);
  auto r = cli.Get("/api/v1/stats");
  if (!r || r->status != 200) return -1;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j["totals"]["lines"].is_number()) return -1;
  return j["totals"]["lines"].get<std::int64_t>();
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

int drive_http(int argc, char** argv) {
  std::string url;
  double seconds = 10;
  int connections = 64;
  int lines = 100;
  double rate_lines = 0;
  int repeat = 3;
  int server_threads = 256;  // selfheal's default server.threads; the baseline gets the same pool
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--http") url = next();
    else if (a == "--seconds") seconds = std::stod(next());
    else if (a == "--connections") connections = std::stoi(next());
    else if (a == "--lines") lines = std::max(1, std::stoi(next()));
    else if (a == "--rate-lines") rate_lines = std::stod(next());
    else if (a == "--repeat") repeat = std::max(1, std::stoi(next()));
    else if (a == "--server-threads") server_threads = std::stoi(next());
  }
  if (url.empty()) {
    std::fprintf(stderr, "usage: loki_push_bench --http URL [--seconds S] [--connections C] [--lines N] [--rate-lines R] [--repeat K]\n");
    return 2;
  }
  const auto logs = load_loghub();
  if (logs.size() != 8) {
    std::fprintf(stderr, "no input: %s/data/loghub-2k (need the 8 Loghub-2k logs)\n", SELFHEAL_SHARED_DIR);
    return 1;
  }
  std::size_t total = 0, bytes = 0;
  for (const auto& [n, t] : logs)
    for (const auto& l : t) ++total, bytes += l.size();
  // Baseline in this process: an httplib server with the same thread pool that reads each body and
  // answers 204 (no decode, no store). It costs the client, HTTP and loopback what selfheal costs them.
  httplib::Server base;
  base.new_task_queue = [server_threads] { return new httplib::ThreadPool(static_cast<std::size_t>(server_threads)); };
  base.set_keep_alive_max_count(10'000);
  base.set_tcp_nodelay(true);
  base.set_payload_max_length(64 << 20);
  base.Post("/loki/api/v1/push", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  const int base_port = base.bind_to_any_port("127.0.0.1");
  std::thread base_thread([&] { base.listen_after_bind(); });
  const std::string base_url = "http://127.0.0.1:" + std::to_string(base_port);

  std::printf("input: the 8 public Loghub-2k logs (%zu real lines, %.1f MB), one stream per log, %d lines per push "
              "(snappy protobuf), %d keep-alive connections, %.0f s per run, %d interleaved runs each%s\n",
              total, static_cast<double>(bytes) / 1e6, lines, connections, seconds, repeat,
              rate_lines > 0 ? (", paced to " + std::to_string(static_cast<long long>(rate_lines)) + " lines/s").c_str() : "");
  const std::int64_t counted_before = counted_lines(url);
  std::atomic<std::int64_t> seq_base{0}, seq_self{0};
  std::vector<double> base_rate, self_rate, base_p50, self_p50, base_p99, self_p99;
  std::int64_t self_ok = 0, self_failed = 0, base_failed = 0, self_429 = 0;
  std::string first_failure;
  for (int k = 0; k < repeat; ++k) {
    auto b = push_for(base_url, seconds, connections, lines, rate_lines, logs, seq_base);
    auto s = push_for(url, seconds, connections, lines, rate_lines, logs, seq_self);
    base_rate.push_back(b.lines_per_sec(lines));
    self_rate.push_back(s.lines_per_sec(lines));
    base_p50.push_back(b.pct(0.5));
    self_p50.push_back(s.pct(0.5));
    base_p99.push_back(b.pct(0.99));
    self_p99.push_back(s.pct(0.99));
    self_ok += s.ok;
    self_failed += s.failed;
    self_429 += s.throttled;
    base_failed += b.failed;
    if (first_failure.empty()) first_failure = !s.first_failure.empty() ? s.first_failure : b.first_failure;
    std::printf("run %d: baseline %.0f lines/s (p50 %.1f ms, p99 %.1f ms) | selfheal %.0f lines/s (p50 %.1f ms, "
                "p99 %.1f ms; 429s %lld)\n",
                k + 1, base_rate.back(), base_p50.back(), base_p99.back(), self_rate.back(), self_p50.back(),
                self_p99.back(), static_cast<long long>(s.throttled));
  }
  base.stop();
  base_thread.join();
  const double br = median_of(base_rate), sr = median_of(self_rate);
  std::printf("baseline (in-process httplib server, reads the body, answers 204): median %.0f lines/s, "
              "latency p50 %.1f ms, p99 %.1f ms\n",
              br, median_of(base_p50), median_of(base_p99));
  std::printf("selfheal serve (decode, stitch, fingerprint, commit to SQLite before the 204): median %.0f lines/s, "
              "latency p50 %.1f ms, p99 %.1f ms (arrival -> durable, visible); %.2fx the baseline\n",
              sr, median_of(self_p50), median_of(self_p99), sr / br);
  // Exact count: what serve counted in this run against what it acknowledged.
  const std::int64_t counted_after = counted_lines(url);
  const std::int64_t sent = self_ok * lines;
  if (counted_before >= 0 && counted_after >= 0)
    std::printf("acknowledged %lld lines (%lld pushes); serve counted %lld in this run%s\n", static_cast<long long>(sent),
                static_cast<long long>(self_ok), static_cast<long long>(counted_after - counted_before),
                counted_after - counted_before == sent ? " (exact)" : " (MISMATCH)");
  if (!first_failure.empty()) std::printf("first failure: %s\n", first_failure.c_str());
  const bool exact = counted_before < 0 || counted_after - counted_before == sent;
  return self_failed == 0 && base_failed == 0 && exact ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--http") == 0) return drive_http(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
