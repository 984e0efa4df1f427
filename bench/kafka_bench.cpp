// Kafka -> stats visible, in one process, on librdkafka's mock cluster (issue 5, acceptance 1).
//
//   build-x/bench/kafka_bench [--records N] [--partitions P] [--format text|json] [--multiline 0|1]
//                             [--queue tuned|default] [--repeat R]
//
// Input: the 8 real Loghub-2k logs (16,000 lines, ../shared/data/loghub-2k/*/*_2k.log) cycled to N
// records, one record key per log, round-robin over P partitions (default 64: librdkafka's mock broker
// keeps only about 5 MB per partition and deletes older records). The records are produced to
// the mock cluster before anything is timed. Then, in the same run:
//   1. baseline: a bare librdkafka group consumer reads all N records and does nothing with them:
//      the cost of the mock brokers + librdkafka fetching, which shares the same cores. It uses the
//      same fetch-queue properties as the source (ingest::consumer_tuning());
//   2. selfheal: KafkaSource + SourceRunner + Pipeline + SqliteStore; timed until the store's counts
//      hold all N lines and every partition's position reached the end, i.e. the stats are visible
//      through the API. Twice: with the default min_severity (warning: only about a quarter of these
//      lines are fingerprinted, the rest are counted) and with min_severity debug, where every event
//      is fingerprinted as if every line were an error (the fair figure for an all-errors stream).
// Each is repeated R times (default 3), interleaved; the medians of lines/s and CPU seconds are
// printed, with each selfheal run's ratio to the baseline and how many events it fingerprinted.
// --queue default gives both consumers librdkafka's own fetch-queue defaults instead (queued.min.messages
// 100000, queued.max.messages.kbytes 65536): librdkafka 2.0.x then pauses fetching for up to a second
// each time the queue fills, which is what capped this benchmark at ~127 k lines/s before.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "app/config.hpp"
#include "app/fingerprinting.hpp"
#include "app/pipeline.hpp"
#include "ingest/kafka_commit.hpp"
#include "ingest/kafka_source.hpp"
#include "ingest/runner.hpp"
#include "schema/log.hpp"
#include "schema/sqlite_store.hpp"
#include "tests/support/kafka_progress.hpp"

using namespace selfheal;
using Steady = std::chrono::steady_clock;

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::vector<std::vector<std::string>> load_logs() {
  std::vector<std::vector<std::string>> logs;
  const std::filesystem::path root = std::filesystem::path(SELFHEAL_SHARED_DIR) / "data" / "loghub-2k";
  for (const char* name : {"BGL", "HDFS", "Hadoop", "HealthApp", "Mac", "OpenSSH", "Spark", "Zookeeper"}) {
    std::ifstream in(root / name / (std::string(name) + "_2k.log"));
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) {
      if (!l.empty() && l.back() == '\r') l.pop_back();
      if (!l.empty()) lines.push_back(l);
    }
    if (!lines.empty()) logs.push_back(std::move(lines));
  }
  return logs;
}

std::string json_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size() + 8);
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else {
      o += static_cast<char>(c);
    }
  }
  return o;
}

struct Run {
  double seconds = 0;
  double cpu = 0;
  std::int64_t lines = 0;
  std::int64_t events = 0;
  std::int64_t kept = 0;  // events fingerprinted (at or above min_severity, or with a trace)
  std::int64_t fingerprints = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(lines) / seconds : 0; }
};

template <typename F>
double median(const std::vector<Run>& runs, F f) {
  std::vector<double> v;
  for (const auto& r : runs) v.push_back(std::invoke(f, r));
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

bool flag(int argc, char** argv, const char* name, std::string& out) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) {
      out = argv[i + 1];
      return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t records = 1'000'000;
  int partitions = 64;
  std::string format = "text";
  bool multiline = true;
  std::string v;
  if (flag(argc, argv, "--records", v)) records = std::stoll(v);
  if (flag(argc, argv, "--partitions", v)) partitions = std::stoi(v);
  if (flag(argc, argv, "--format", v)) format = v;
  if (flag(argc, argv, "--multiline", v)) multiline = v != "0";
  int repeat = 3;
  if (flag(argc, argv, "--repeat", v)) repeat = std::max(1, std::stoi(v));
  std::string queue = "tuned";
  if (flag(argc, argv, "--queue", v)) queue = v;
  if (queue != "tuned" && queue != "default") {
    std::cerr << "--queue tuned|default\n";
    return 2;
  }
  // What both consumers get on top of their own settings.
  std::vector<std::pair<std::string, std::string>> queue_props;
  if (queue == "tuned") {
    queue_props = ingest::consumer_tuning().required;
  } else {
    queue_props = {{"queued.min.messages", "100000"}, {"queued.max.messages.kbytes", "65536"}};
  }
  log::setup("warn");
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  const auto logs = load_logs();
  if (logs.empty()) {
    std::cerr << "no input: " << SELFHEAL_SHARED_DIR << "/data/loghub-2k\n";
    return 1;
  }

  // ---- mock cluster + produce (not timed) ----
  char err[512];
  rd_kafka_conf_t* oconf = rd_kafka_conf_new();
  rd_kafka_conf_set(oconf, "log_level", "3", err, sizeof err);
  rd_kafka_t* owner = rd_kafka_new(RD_KAFKA_PRODUCER, oconf, err, sizeof err);
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(owner, 3);
  rd_kafka_mock_topic_create(mc, "bench", partitions, 1);
  const std::string bootstraps = rd_kafka_mock_cluster_bootstraps(mc);

  rd_kafka_conf_t* pconf = rd_kafka_conf_new();
  rd_kafka_conf_set(pconf, "bootstrap.servers", bootstraps.c_str(), err, sizeof err);
  rd_kafka_conf_set(pconf, "linger.ms", "20", err, sizeof err);
  rd_kafka_conf_set(pconf, "batch.num.messages", "10000", err, sizeof err);
  rd_kafka_conf_set(pconf, "queue.buffering.max.messages", "1000000", err, sizeof err);
  rd_kafka_conf_set(pconf, "log_level", "3", err, sizeof err);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, err, sizeof err);
  std::map<int, std::int64_t> produced;
  std::int64_t bytes = 0;
  const auto p0 = Steady::now();
  std::vector<std::size_t> cursor(logs.size(), 0);
  for (std::int64_t i = 0; i < records; ++i) {
    const std::size_t s = static_cast<std::size_t>(i) % logs.size();
    const std::string& line = logs[s][cursor[s]++ % logs[s].size()];
    std::string value = format == "json" ? "{\"message\":\"" + json_escape(line) + "\",\"app\":\"bench-" +
                                               std::to_string(s) + "\"}"
                                         : line;
    const std::string key = "stream-" + std::to_string(s);
    const int part = static_cast<int>(i % partitions);  // spread: the mock keeps ~5 MB per partition
    for (;;) {
      auto e = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("bench"), RD_KAFKA_V_PARTITION(part),
                                 RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(value.data(), value.size()),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      rd_kafka_poll(producer, 10);
    }
    bytes += static_cast<std::int64_t>(value.size());
    ++produced[part];
  }
  rd_kafka_flush(producer, 120'000);
  rd_kafka_destroy(producer);
  const double produce_s = std::chrono::duration<double>(Steady::now() - p0).count();
  std::string queue_desc;
  for (const auto& [k, val] : queue_props) queue_desc += (queue_desc.empty() ? "" : " ") + k + "=" + val;
  std::printf("input: %lld records (%.1f MB, %s, multiline=%d) from 8 Loghub-2k logs over %d partitions; "
              "produced in %.2f s (not timed below); consumer queue %s: %s\n",
              static_cast<long long>(records), static_cast<double>(bytes) / 1e6, format.c_str(), multiline ? 1 : 0,
              partitions, produce_s, queue.c_str(), queue_desc.c_str());

  // ---- 1. baseline: mock brokers + librdkafka consumer, nothing else ----
  auto baseline = [&](const std::string& group) {
    Run out;
    rd_kafka_conf_t* c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", bootstraps.c_str(), err, sizeof err);
    rd_kafka_conf_set(c, "group.id", group.c_str(), err, sizeof err);
    rd_kafka_conf_set(c, "auto.offset.reset", "earliest", err, sizeof err);
    rd_kafka_conf_set(c, "enable.auto.offset.store", "false", err, sizeof err);
    rd_kafka_conf_set(c, "log_level", "3", err, sizeof err);
    for (const auto& [k, val] : queue_props) rd_kafka_conf_set(c, k.c_str(), val.c_str(), err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
    rd_kafka_poll_set_consumer(rk);
    auto* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, "bench", RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    // Timed from the first record (the group join is not throughput), until all N or 5 s of silence.
    double cpu0 = 0;
    auto t0 = Steady::now();
    auto last = t0;
    std::int64_t n = 0;
    while (n < records) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
      if (m == nullptr) {
        if (n > 0 && Steady::now() - last > std::chrono::seconds(5)) break;
        continue;
      }
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (n == 0) {
          cpu0 = cpu_seconds();
          t0 = Steady::now();
        }
        ++n;
        last = Steady::now();
      }
      rd_kafka_message_destroy(m);
    }
    out.seconds = std::chrono::duration<double>(last - t0).count();
    out.cpu = cpu_seconds() - cpu0;
    out.lines = n;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return out;
  };

  // ---- 2. selfheal: KafkaSource + runner + pipeline + SQLite, at a given min_severity ----
  auto selfheal = [&](const std::string& group, const std::string& min_severity) {
    Run out;
    const auto dir = std::filesystem::temp_directory_path() /
                     ("selfheal-kafka-bench-" + std::to_string(getpid()) + "-" + group);
    std::filesystem::create_directories(dir);
    auto db = SqliteDb::open({(dir / "bench.db").string()});
    if (!db) {
      std::cerr << db.error().message << "\n";
      std::exit(1);
    }
    SystemClock clock;
    SqliteStore store(*db, clock);
    Metrics metrics;
    app::Config cfg;  // defaults: flush every 200 ms
    cfg.pipeline.min_severity = min_severity;
    app::Pipeline pipeline(cfg, store, clock, metrics, std::make_shared<app::Fingerprinting>(cfg.fingerprint));
    pipeline.start();
    ingest::KafkaConfig kc;
    kc.name = "kafka";
    kc.brokers = bootstraps;
    kc.group_id = group;
    kc.topics = {"bench"};
    kc.format = format;
    kc.multiline = multiline;
    kc.properties = {{"log_level", "3"}};
    if (queue == "default") kc.properties.insert(kc.properties.end(), queue_props.begin(), queue_props.end());
    ingest::StitchLimits stitch;
    stitch.max_wait_ms = 200;  // the last open event of each stream closes 200 ms after its partition idles
    auto src = std::make_unique<ingest::KafkaSource>(kc, store, metrics, clock, stitch);
    auto* kafka = src.get();
    ingest::SourceRunner runner(std::move(src), pipeline, store, metrics);
    kafka->set_before_revoke([&runner] { return runner.settle(); });

    auto done = [&] { return test::positions_at_end(store, "kafka", produced); };
    if (auto r = runner.start(); !r) {
      std::cerr << r.error().message << "\n";
      std::exit(1);
    }
    // Timed from the assignment (the group join is not throughput) until the stats are visible.
    while (kafka->assignment().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const double cpu0 = cpu_seconds();
    const auto t0 = Steady::now();
    while (!done()) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll the store, as the API would
    out.seconds = std::chrono::duration<double>(Steady::now() - t0).count();
    out.cpu = cpu_seconds() - cpu0;
    if (auto st = store.source_stats()) {
      for (const auto& x : *st) {
        out.lines += x.lines;
        out.events += x.events;
        out.kept += x.kept;
      }
    }
    auto fps = store.fingerprint_count();
    out.fingerprints = fps ? *fps : -1;
    runner.stop();
    pipeline.stop();
    std::filesystem::remove_all(dir);
    return out;
  };

  // Interleaved repetitions (baseline, as configured, all errors), so drift hits all three alike.
  std::vector<Run> base_runs, warn_runs, all_runs;
  int rc = 0;
  for (int i = 0; i < repeat; ++i) {
    const std::string r = std::to_string(i);
    base_runs.push_back(baseline("bench-baseline-" + r));
    warn_runs.push_back(selfheal("bench-selfheal-" + r, "warning"));
    all_runs.push_back(selfheal("bench-selfheal-all-" + r, "debug"));
    for (const auto* run : {&warn_runs.back(), &all_runs.back()}) {
      if (run->lines != records) {
        std::printf("MISMATCH: store holds %lld lines, produced %lld\n", static_cast<long long>(run->lines),
                    static_cast<long long>(records));
        rc = 2;
      }
    }
    std::printf("run %d: baseline %.0f lines/s | selfheal (warning+) %.0f lines/s | selfheal (all errors) %.0f "
                "lines/s\n",
                i + 1, base_runs.back().rate(), warn_runs.back().rate(), all_runs.back().rate());
  }
  const double base = median(base_runs, &Run::rate);
  auto report = [&](const char* what, const std::vector<Run>& runs) {
    const Run& last = runs.back();
    const double rate = median(runs, &Run::rate);
    std::printf("%s: median %.0f lines/s over %d runs, cpu %.2f s (median); fingerprinted %lld of %lld events "
                "(%.0f %%), %lld fingerprints; %.2fx the baseline\n",
                what, rate, repeat, median(runs, &Run::cpu), static_cast<long long>(last.kept),
                static_cast<long long>(last.events),
                last.events ? 100.0 * static_cast<double>(last.kept) / static_cast<double>(last.events) : 0.0,
                static_cast<long long>(last.fingerprints), rate / base);
  };
  std::printf("baseline (mock cluster + bare librdkafka consumer, same queue properties): median %.0f lines/s "
              "over %d runs, cpu %.2f s (median)\n",
              base, repeat, median(base_runs, &Run::cpu));
  report("selfheal, min_severity warning (the default: lines below are counted, not fingerprinted)", warn_runs);
  report("selfheal, min_severity debug (all errors: every event is fingerprinted)", all_runs);
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(owner);
  return rc;
}
