// Issue 18 benchmark: the store commit cost per 1,000 events on each backend, measured in one run on
// the same batches: SQLite (WAL, synchronous NORMAL and FULL) and PostgreSQL (the DSN in
// SELFHEAL_BENCH_PG_DSN; bench/store_commit_bench.sh starts a throwaway server and sets it).
// A batch is what one pipeline flush commits: 1,000 events over F fingerprints (F = 10 and 200),
// each fingerprint in one minute, with values behind one <*>, plus line counts and a source position.
//   store_commit_bench [batches=200]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "schema/stores.hpp"

using namespace selfheal;

namespace {

WriteBatch make_batch(int batch_no, int fingerprints) {
  WriteBatch b;
  const UnixMs t = 1'700'000'000'000 + static_cast<UnixMs>(batch_no) * 1000;
  for (int i = 0; i < 1000; ++i) {
    LogEvent e;
    e.ts = t + i % 1000;
    e.service = "svc" + std::to_string(i % 4);
    e.host = "host" + std::to_string(i % 16);
    e.source = "bench";
    e.message = "ERROR request " + std::to_string(batch_no * 1000 + i) + " failed";
    const int f = i % fingerprints;
    char id[17];
    std::snprintf(id, sizeof id, "%016x", 0x9e3779b9U * static_cast<unsigned>(f + 1));
    b.count(e, true);
    b.add(e, FingerprintInfo{id, "ERROR request <*> failed (" + std::to_string(f) + ")", "", "[]",
                             {std::to_string((batch_no * 1000 + i) % 97)}},
          Severity::error);
  }
  b.set_position({"bench", "p0", std::to_string(batch_no)});
  return b;
}

struct Figure {
  double median_ms = 0;
  double p90_ms = 0;
};

Figure run(Stores& stores, int batches, int fingerprints) {
  std::vector<double> ms;
  for (int i = 0; i < batches; ++i) {
    const auto batch = make_batch(i, fingerprints);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = stores.store().commit(batch);
    const auto t1 = std::chrono::steady_clock::now();
    if (!r) {
      std::fprintf(stderr, "commit failed: %s\n", r.error().message.c_str());
      std::exit(1);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[ms.size() * 9 / 10]};
}

}  // namespace

int main(int argc, char** argv) {
  const int batches = argc > 1 ? std::atoi(argv[1]) : 200;
  const auto dir = std::filesystem::temp_directory_path() / ("selfheal-commit-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  SystemClock clock;
  struct Backend {
    std::string label;
    StorageOptions opts;
  };
  std::vector<Backend> backends;
  for (bool full : {false, true}) {
    StorageOptions o;
    o.sqlite_path = (dir / (full ? "full.db" : "normal.db")).string();
    o.synchronous_full = full;
    backends.push_back({full ? "sqlite (WAL, synchronous FULL)" : "sqlite (WAL, synchronous NORMAL, the default)", o});
  }
  if (const char* dsn = std::getenv("SELFHEAL_BENCH_PG_DSN"); dsn && *dsn) {
    StorageOptions o;
    o.type = "postgres";
    o.postgres_dsn = dsn;
    const char* label = std::getenv("SELFHEAL_BENCH_PG_LABEL");
    backends.push_back({std::string("postgres (") + (label ? label : "server defaults") + ")", o});
  } else {
    std::printf("postgres: skipped (set SELFHEAL_BENCH_PG_DSN, or run bench/store_commit_bench.sh)\n");
  }
  std::printf("commit of one flush = 1,000 events; %d batches per figure; median (p90) ms per 1,000 events\n",
              batches);
  for (auto& b : backends) {
    auto stores = Stores::open(b.opts, clock);
    if (!stores) {
      std::fprintf(stderr, "%s: %s\n", b.label.c_str(), stores.error().message.c_str());
      return 1;
    }
    for (int fps : {10, 200}) {
      const auto f = run(**stores, batches, fps);
      std::printf("%-48s %3d fingerprints/batch: %8.2f ms (p90 %8.2f)\n", b.label.c_str(), fps, f.median_ms, f.p90_ms);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
