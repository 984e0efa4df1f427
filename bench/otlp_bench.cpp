// OTLP/HTTP logs handler throughput per core, with the Loki push handler on the same lines as the
// baseline in the same run (issue 20, acceptance 5).
//
//   otlp_bench    Google Benchmark, one core, ~1 MiB of lines per request (5 services, mostly info,
//                 1 in 10 errors, one Java trace per 200 lines as one record):
//                 - BM_loki_push_handle: LokiPushHandler on a snappy protobuf PushRequest (baseline)
//                 - BM_otlp_protobuf_handle: OtlpHandler on an ExportLogsServiceRequest (protobuf)
//                 - BM_otlp_json_handle: OtlpHandler on the same request in OTLP/JSON
//                 bytes/s is of each body as decoded (uncompressed protobuf or JSON); lines/s is the
//                 comparable figure. Compare the medians: --benchmark_repetitions=5
//                 --benchmark_report_aggregates_only=true.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ingest/detail/loki_decode.hpp"
#include "ingest/loki_push.hpp"
#include "ingest/otlp.hpp"
#include "schema/clock.hpp"
#include "tests/support/otlp_encode.hpp"

using namespace selfheal;
namespace ld = selfheal::ingest::detail;
namespace otlp = selfheal::test::otlp;

namespace {

constexpr std::int64_t kT0 = 1'795'464'000'000'000'000LL;

/// ~target_bytes of lines spread over 5 services: (service, line) in arrival order.
std::vector<std::pair<int, std::string>> make_lines(std::size_t target_bytes) {
  std::vector<std::pair<int, std::string>> out;
  std::size_t bytes = 0;
  for (std::int64_t i = 0; bytes < target_bytes; ++i) {
    std::string line;
    if (i % 200 == 0) {
      line = "java.lang.IllegalStateException: order " + std::to_string(i) +
             " in bad state\n\tat com.shop.Orders.check(Orders.java:42)\n\tat com.shop.Api.handle(Api.java:7)";
    } else if (i % 10 == 0) {
      line = "ERROR payment failed for order " + std::to_string(i) + " user=u" + std::to_string(i % 977) + " after 3 retries";
    } else {
      line = "INFO handled GET /api/orders/" + std::to_string(i) + " in " + std::to_string(i % 300) + "ms status=200";
    }
    bytes += line.size() + 24;
    out.emplace_back(static_cast<int>(i % 5), std::move(line));
  }
  return out;
}

std::string loki_body(const std::vector<std::pair<int, std::string>>& lines) {
  ld::DecodedPush p;
  for (int s = 0; s < 5; ++s)
    p.streams.push_back({{{"host", "web-" + std::to_string(s)}, {"service_name", "svc-" + std::to_string(s)}}, {}});
  for (std::size_t i = 0; i < lines.size(); ++i)
    p.streams[static_cast<std::size_t>(lines[i].first)].entries.push_back(
        {kT0 + static_cast<std::int64_t>(i) * 1000, lines[i].second, {}});
  return ld::encode_push_protobuf(p);
}

std::string otlp_protobuf(const std::vector<std::pair<int, std::string>>& lines) {
  std::vector<std::vector<std::string>> records(5);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    otlp::Record r;
    r.time_ns = static_cast<std::uint64_t>(kT0) + i * 1000;
    r.severity = lines[i].second.rfind("INFO", 0) == 0 ? 9 : 17;
    r.body = otlp::str(lines[i].second);
    records[static_cast<std::size_t>(lines[i].first)].push_back(otlp::record(r));
  }
  std::vector<std::string> resources;
  for (int s = 0; s < 5; ++s)
    resources.push_back(otlp::resource_logs(
        {otlp::kv("service.name", otlp::str("svc-" + std::to_string(s))), otlp::kv("host.name", otlp::str("web-" + std::to_string(s)))},
        {otlp::scope_logs("bench", records[static_cast<std::size_t>(s)])}));
  return otlp::request(resources);
}

std::string otlp_json(const std::vector<std::pair<int, std::string>>& lines) {
  using nlohmann::json;
  std::vector<json> records(5, json::array());
  for (std::size_t i = 0; i < lines.size(); ++i)
    records[static_cast<std::size_t>(lines[i].first)].push_back(
        {{"timeUnixNano", std::to_string(static_cast<std::uint64_t>(kT0) + i * 1000)},
         {"severityNumber", lines[i].second.rfind("INFO", 0) == 0 ? 9 : 17},
         {"body", {{"stringValue", lines[i].second}}}});
  json resources = json::array();
  for (int s = 0; s < 5; ++s)
    resources.push_back(
        {{"resource",
          {{"attributes", json::array({{{"key", "service.name"}, {"value", {{"stringValue", "svc-" + std::to_string(s)}}}},
                                       {{"key", "host.name"}, {"value", {{"stringValue", "web-" + std::to_string(s)}}}}})}}},
         {"scopeLogs", json::array({{{"scope", {{"name", "bench"}}}, {"logRecords", records[static_cast<std::size_t>(s)]}}})}});
  return json{{"resourceLogs", resources}}.dump();
}

const std::vector<std::pair<int, std::string>>& lines() {
  static const auto l = make_lines(1 << 20);
  return l;
}

/// Runs `handle` (one request through a handler) and reports bytes/s of the decoded body and lines/s.
template <typename Handle>
void measure(benchmark::State& state, std::size_t body_bytes, Handle&& handle) {
  std::size_t events = 0;
  for (auto _ : state) {
    auto out = handle();
    events = out.batch.events.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(body_bytes));
  state.counters["lines/s"] = benchmark::Counter(static_cast<double>(lines().size()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["events"] = static_cast<double>(events);
  state.counters["body_bytes"] = static_cast<double>(body_bytes);
}

void BM_loki_push_handle(benchmark::State& state) {
  const std::string proto = loki_body(lines());
  const std::string body = ld::snappy_block_encode(proto);
  SystemClock clock;
  ingest::LokiPushOptions opts;
  opts.config.max_body_bytes = 64 << 20;
  const ingest::LokiPushHandler handler(opts, clock);
  ingest::PushRequest req;
  req.content_type = "application/x-protobuf";
  req.body = body;
  measure(state, proto.size(), [&] { return handler.handle(req); });
}
BENCHMARK(BM_loki_push_handle)->Unit(benchmark::kMillisecond);

void otlp_handle(benchmark::State& state, const std::string& body, const char* content_type) {
  SystemClock clock;
  ingest::OtlpOptions opts;
  opts.config.max_body_bytes = 64 << 20;
  const ingest::OtlpHandler handler(opts, clock);
  if (auto first = handler.handle(ingest::OtlpRequest{content_type, "", body}); first.status != 200)
    return state.SkipWithError(first.reason.c_str());
  measure(state, body.size(), [&] { return handler.handle(ingest::OtlpRequest{content_type, "", body}); });
}

void BM_otlp_protobuf_handle(benchmark::State& state) { otlp_handle(state, otlp_protobuf(lines()), "application/x-protobuf"); }
BENCHMARK(BM_otlp_protobuf_handle)->Unit(benchmark::kMillisecond);

void BM_otlp_json_handle(benchmark::State& state) { otlp_handle(state, otlp_json(lines()), "application/json"); }
BENCHMARK(BM_otlp_json_handle)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
