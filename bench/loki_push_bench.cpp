// Loki push throughput.
//
//   loki_push_bench                      Google Benchmark: decode 1 MiB snappy protobuf batches (one core)
//                                        - BM_decode_only: snappy + protobuf wire decode
//                                        - BM_handle: the whole push handler (decode, labels, stitching,
//                                          field extraction) -> MB/s of uncompressed protobuf per core
//   loki_push_bench --http URL [--seconds S] [--connections C] [--lines N] [--rate-lines R]
//                                        drives a running `selfheal serve`: C keep-alive connections push
//                                        snappy protobuf bodies of N lines each (paced to R lines/s when
//                                        given) and report requests/s, lines/s and latency percentiles.
//                                        A 204 is only sent once the batch is committed, so the latency
//                                        is arrival -> visible in the API.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
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

int drive_http(int argc, char** argv) {
  std::string url;
  double seconds = 10;
  int connections = 64;
  int lines = 1;
  double rate_lines = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--http") url = next();
    else if (a == "--seconds") seconds = std::stod(next());
    else if (a == "--connections") connections = std::stoi(next());
    else if (a == "--lines") lines = std::stoi(next());
    else if (a == "--rate-lines") rate_lines = std::stod(next());
  }
  if (url.empty()) {
    std::fprintf(stderr, "usage: loki_push_bench --http URL [--seconds S] [--connections C] [--lines N] [--rate-lines R]\n");
    return 2;
  }
  std::atomic<std::int64_t> ok{0}, failed{0}, throttled{0}, seq{0};
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::string first_failure;
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + std::chrono::duration<double>(seconds);
  const double pushes_per_sec = rate_lines > 0 ? rate_lines / lines : 0;
  auto worker = [&](int c) {
    httplib::Client cli(url);
    cli.set_keep_alive(true);
    cli.set_tcp_nodelay(true);  // as Go's net/http (Promtail, Alloy) does by default
    cli.set_read_timeout(std::chrono::seconds(30));
    std::vector<double> mine;
    while (true) {
      const std::int64_t n = seq.fetch_add(1);
      if (pushes_per_sec > 0) {  // open-loop pacing: push n is due at t0 + n / rate
        auto due = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(n / pushes_per_sec));
        if (due >= deadline) break;
        std::this_thread::sleep_until(due);
      } else if (std::chrono::steady_clock::now() >= deadline) {
        break;
      }
      ld::DecodedPush p;
      p.streams.push_back({{{"app", "bench-" + std::to_string(c % 8)}, {"env", "bench"}}, {}});
      for (int l = 0; l < lines; ++l)
        p.streams[0].entries.push_back({1'795'464'000'000'000'000LL + n * 1000 + l,
                                        (l % 10 == 0 ? "ERROR payment failed for order " : "INFO handled order ") + std::to_string(n * lines + l), {}});
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
        if (first_failure.empty())
          first_failure = r ? "HTTP " + std::to_string(r->status) + " " + r->body : "client error " + httplib::to_string(r.error());
      }
    }
    std::lock_guard lock(mu);
    latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
  };
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) threads.emplace_back(worker, c);
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(latencies_ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size())))];
  };
  std::printf("pushes ok=%lld throttled_429=%lld failed=%lld in %.1fs (connections=%d lines/push=%d%s)\n",
              static_cast<long long>(ok.load()), static_cast<long long>(throttled.load()), static_cast<long long>(failed.load()),
              elapsed, connections, lines, pushes_per_sec > 0 ? (", paced to " + std::to_string(static_cast<long long>(rate_lines)) + " lines/s").c_str() : "");
  std::printf("requests/s=%.0f lines/s=%.0f\n", static_cast<double>(ok.load()) / elapsed,
              static_cast<double>(ok.load()) * lines / elapsed);
  std::printf("latency ms (arrival -> durable, visible): p50=%.1f p90=%.1f p99=%.1f max=%.1f\n", pct(0.5), pct(0.9),
              pct(0.99), latencies_ms.empty() ? 0.0 : latencies_ms.back());
  if (!first_failure.empty()) std::printf("first failure: %s\n", first_failure.c_str());
  return failed.load() == 0 ? 0 : 1;
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
