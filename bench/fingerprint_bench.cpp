// Throughput of the fingerprint module over the public Loghub-2k mix (8 logs x 2,000 messages,
// the Content column of each *_structured_corrected.csv, read from ../shared/data/loghub-2k).
// Every figure is lines/s on one core (items_per_second); the baseline in the same run is a
// memchr line split plus a naive "token with a digit -> <*>" mask.
//
//   build-fp/bench/fingerprint_bench --benchmark_min_time=2 [--benchmark_filter=...]

#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "fingerprint/fingerprint.hpp"
#include "fingerprint/normalize.hpp"
#include "tests/support/csv.hpp"

namespace {

namespace fp = selfheal::fingerprint;

struct Corpus {
  std::vector<std::string> lines;
  std::string joined;  // lines joined with '\n' (for the memchr baselines)
  std::size_t bytes = 0;
};

const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus c;
    const char* names[] = {"BGL", "HDFS", "Hadoop", "HealthApp", "Mac", "OpenSSH", "Spark", "Zookeeper"};
    for (const char* n : names) {
      std::string dir = std::string(SELFHEAL_SHARED_DIR) + "/data/loghub-2k/" + n + "/";
      auto col = selfheal::test::csv_column(dir + n + "_2k.log_structured_corrected.csv", "Content");
      for (auto& s : col.value_or(std::vector<std::string>{})) {
        for (char& ch : s)
          if (ch == '\n' || ch == '\r') ch = ' ';
        c.lines.push_back(std::move(s));
      }
    }
    for (const auto& l : c.lines) {
      c.joined += l;
      c.joined.push_back('\n');
      c.bytes += l.size() + 1;
    }
    std::cerr << "input: Loghub-2k public mix, " << c.lines.size() << " lines, " << c.bytes
              << " bytes (" << SELFHEAL_SHARED_DIR << "/data/loghub-2k)\n";
    if (c.lines.empty()) std::cerr << "no input found\n";
    return c;
  }();
  return c;
}

// Baseline: memchr line split + naive digit mask (whitespace tokens with a digit -> <*>).
void BM_baseline_memchr_digit_mask(benchmark::State& state) {
  const Corpus& c = corpus();
  std::string out;
  out.reserve(4096);
  std::size_t lines = 0;
  for (auto _ : state) {
    const char* p = c.joined.data();
    const char* end = p + c.joined.size();
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (!nl) nl = end;
      out.clear();
      const char* t = p;
      while (t < nl) {
        while (t < nl && *t == ' ') ++t;
        const char* s = t;
        bool digit = false;
        while (t < nl && *t != ' ') digit |= (*t >= '0' && *t <= '9'), ++t;
        if (t > s) {
          if (!out.empty()) out.push_back(' ');
          if (digit) out.append("<*>");
          else out.append(s, static_cast<std::size_t>(t - s));
        }
      }
      benchmark::DoNotOptimize(out.data());
      ++lines;
      p = nl + 1;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(lines));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.bytes));
}
BENCHMARK(BM_baseline_memchr_digit_mask);

// The scanner alone.
void BM_normalize(benchmark::State& state) {
  const Corpus& c = corpus();
  fp::Normalized n;
  std::size_t lines = 0;
  for (auto _ : state) {
    for (const auto& l : c.lines) {
      fp::normalize_into(l, n);
      benchmark::DoNotOptimize(n.text.data());
    }
    lines += c.lines.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(lines));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.bytes));
}
BENCHMARK(BM_normalize);

// Normalise + fingerprint: Engine::compute per line (id cache warm after the first pass, as in a
// long-running pipeline), the acceptance figure.
void BM_engine_compute(benchmark::State& state) {
  const Corpus& c = corpus();
  fp::Engine engine;
  std::size_t lines = 0;
  for (auto _ : state) {
    for (const auto& l : c.lines) {
      fp::Fingerprint f = engine.compute(l);
      benchmark::DoNotOptimize(f.id.data());
    }
    lines += c.lines.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(lines));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.bytes));
}
BENCHMARK(BM_engine_compute);

// As the CLI's learn mode runs it: ids and templates only (keep_values off), so the shape memo
// serves every line whose shape (digits as '0') was seen; a fresh engine per pass.
void BM_engine_compute_cli_ids_only(benchmark::State& state) {
  const Corpus& c = corpus();
  std::size_t lines = 0;
  fp::Options opts;
  opts.keep_values = false;
  for (auto _ : state) {
    fp::Engine engine(opts);
    fp::Fingerprint f;
    for (const auto& l : c.lines) {
      engine.compute_into(l, f);
      benchmark::DoNotOptimize(f.id.data());
    }
    lines += c.lines.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(lines));
}
BENCHMARK(BM_engine_compute_cli_ids_only);

// A fresh engine per pass: every distinct template pays SHA-256 once, and the recent-message
// cache only finds what repeats within one pass.
void engine_compute_cold(benchmark::State& state, const fp::Options& opts) {
  const Corpus& c = corpus();
  std::size_t lines = 0;
  for (auto _ : state) {
    fp::Engine engine(opts);
    for (const auto& l : c.lines) {
      fp::Fingerprint f = engine.compute(l);
      benchmark::DoNotOptimize(f.id.data());
    }
    lines += c.lines.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(lines));
}

void BM_engine_compute_cold(benchmark::State& state) { engine_compute_cold(state, {}); }
BENCHMARK(BM_engine_compute_cold);

// Same, without the recent-message cache: what the cache gives on this mix.
void BM_engine_compute_cold_no_recent_cache(benchmark::State& state) {
  fp::Options opts;
  opts.recent_messages = 0;
  engine_compute_cold(state, opts);
}
BENCHMARK(BM_engine_compute_cold_no_recent_cache);

}  // namespace

BENCHMARK_MAIN();
