// Issue 6 benchmark: the stats write path (aggregated upserts, one transaction per flush) against a
// row-per-event baseline measured in the same process, and the latency of listing a page of 50
// fingerprints out of 100,000. Prints each figure with its input.
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "schema/sqlite_store.hpp"

using namespace selfheal;
using Clock_ = std::chrono::steady_clock;

namespace {
std::string tmpdir() {
  auto p = std::filesystem::temp_directory_path() / ("selfheal-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

struct Input {
  std::vector<LogEvent> events;
  std::vector<FingerprintInfo> infos;
  std::vector<std::uint32_t> which;
};

Input make_input(std::size_t n_events, std::size_t n_fps) {
  Input in;
  std::mt19937_64 rng(7);
  for (std::size_t i = 0; i < n_fps; ++i) {
    char id[17];
    std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(rng()));
    in.infos.push_back({id, "ERROR something <*> failed for <*> number " + std::to_string(i), "", "[]", {}});
  }
  // Zipf-like: a few fingerprints take most events, as in real error streams.
  std::vector<double> w(n_fps);
  for (std::size_t i = 0; i < n_fps; ++i) w[i] = 1.0 / static_cast<double>(i + 1);
  std::discrete_distribution<std::uint32_t> pick(w.begin(), w.end());
  const UnixMs t0 = 1'795'464'000'000;
  for (std::size_t i = 0; i < n_events; ++i) {
    LogEvent e;
    e.ts = t0 + static_cast<UnixMs>(i / 100);  // 100 k events/s of log time
    e.message = "ERROR something x" + std::to_string(i % 97) + " failed for user" + std::to_string(i % 1013);
    e.service = "svc" + std::to_string(i % 7);
    e.host = "host" + std::to_string(i % 31);
    e.source = "bench";
    in.events.push_back(std::move(e));
    in.which.push_back(pick(rng));
  }
  return in;
}

double commit_seconds = 0;  // of the last aggregated run: time inside Store::commit

double run_aggregated(const Input& in, const std::string& dir, std::size_t per_flush) {
  SystemClock clock;
  auto db = *SqliteDb::open({dir + "/agg.db"});
  SqliteStore store(db, clock);
  commit_seconds = 0;
  const auto start = Clock_::now();
  WriteBatch b;
  for (std::size_t i = 0; i < in.events.size(); ++i) {
    FingerprintInfo info = in.infos[in.which[i]];
    info.values = {std::to_string(i % 97), std::to_string(i % 1013)};
    b.count(in.events[i], true);
    b.add(in.events[i], info, Severity::error);
    if ((i + 1) % per_flush == 0) {
      const auto c0 = Clock_::now();
      if (!store.commit(b)) std::abort();
      commit_seconds += std::chrono::duration<double>(Clock_::now() - c0).count();
      b = WriteBatch{};
    }
  }
  if (!b.empty() && !store.commit(b)) std::abort();
  return std::chrono::duration<double>(Clock_::now() - start).count();
}

double run_row_per_event(const Input& in, const std::string& dir, std::size_t per_flush) {
  SQLite::Database db(dir + "/rows.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  db.exec("CREATE TABLE events(id INTEGER PRIMARY KEY, fingerprint_id TEXT, ts INTEGER, service TEXT, message TEXT)");
  db.exec("CREATE INDEX events_fp ON events(fingerprint_id, ts)");
  const auto start = Clock_::now();
  SQLite::Statement ins(db, "INSERT INTO events(fingerprint_id, ts, service, message) VALUES(?1,?2,?3,?4)");
  std::size_t i = 0;
  while (i < in.events.size()) {
    SQLite::Transaction tx(db);
    for (std::size_t k = 0; k < per_flush && i < in.events.size(); ++k, ++i) {
      ins.bind(1, in.infos[in.which[i]].id);
      ins.bind(2, static_cast<int64_t>(in.events[i].ts));
      ins.bind(3, in.events[i].service);
      ins.bind(4, in.events[i].message);
      ins.exec();
      ins.reset();
    }
    tx.commit();
  }
  return std::chrono::duration<double>(Clock_::now() - start).count();
}

void list_latency(const std::string& dir) {
  SystemClock clock;
  auto db = *SqliteDb::open({dir + "/list.db"});
  SqliteStore store(db, clock);
  std::mt19937_64 rng(11);
  const UnixMs now = clock.now_ms();
  for (int chunk = 0; chunk < 10; ++chunk) {
    WriteBatch b;
    for (int i = 0; i < 10'000; ++i) {
      LogEvent e;
      e.ts = now - static_cast<UnixMs>(rng() % (3 * 3600'000));
      e.service = "svc" + std::to_string(rng() % 20);
      e.source = "bench";
      char id[17];
      std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(rng()));
      FingerprintInfo info{id, "template " + std::to_string(chunk * 10'000 + i) + " <*>", "", "[]", {}};
      const int n = 1 + static_cast<int>(rng() % 50);
      for (int k = 0; k < n; ++k) b.add(e, info, static_cast<Severity>(2 + rng() % 3));
    }
    if (!store.commit(b)) std::abort();
  }
  struct Case {
    const char* name;
    FingerprintQuery q;
  };
  std::vector<Case> cases;
  auto base = [&] {
    FingerprintQuery q;
    q.now = now;
    q.limit = 50;
    return q;
  };
  cases.push_back({"sort=count", base()});
  {
    auto q = base();
    q.sort = FingerprintSort::last_seen;
    cases.push_back({"sort=last_seen", q});
  }
  {
    auto q = base();
    q.sort = FingerprintSort::rate;
    cases.push_back({"sort=rate", q});
  }
  {
    auto q = base();
    q.service = "svc3";
    cases.push_back({"service=svc3", q});
  }
  {
    auto q = base();
    q.status = "unresolved";
    q.min_severity = "critical";
    cases.push_back({"status+severity", q});
  }
  std::printf("stats_bench: list a page of 50 from 100,000 fingerprints (100 pages deep via cursors per case):\n");
  for (auto& c : cases) {
    std::vector<double> ms;
    auto q = c.q;
    for (int i = 0; i < 100; ++i) {
      const auto t = Clock_::now();
      auto page = store.list(q);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock_::now() - t).count());
      if (!page) std::abort();
      q.cursor = page->next_cursor;
      if (q.cursor.empty()) q = c.q;
    }
    std::sort(ms.begin(), ms.end());
    std::printf("  %-16s p50 %.2f ms  p99 %.2f ms\n", c.name, ms[49], ms[98]);
  }
}
}  // namespace

int main(int argc, char** argv) {
  // --write-only: skip the listing part (for profiling the write path).
  const bool write_only = argc > 1 && std::string(argv[1]) == "--write-only";
  const std::string dir = tmpdir();
  const std::size_t n = 1'000'000, fps = 2'000, per_flush = 50'000;
  auto in = make_input(n, fps);
  std::vector<double> agg, rows;
  for (int rep = 0; rep < 3; ++rep) {
    std::filesystem::remove(dir + "/agg.db");
    std::filesystem::remove(dir + "/agg.db-wal");
    std::filesystem::remove(dir + "/rows.db");
    std::filesystem::remove(dir + "/rows.db-wal");
    agg.push_back(static_cast<double>(n) / run_aggregated(in, dir, per_flush));
    rows.push_back(static_cast<double>(n) / run_row_per_event(in, dir, per_flush));
  }
  const double last_rate = agg.back();  // the run commit_seconds was measured in
  std::sort(agg.begin(), agg.end());
  std::sort(rows.begin(), rows.end());
  std::printf("stats_bench: write path, input 1,000,000 synthetic error events over 2,000 Zipf-distributed "
              "fingerprints, 7 services, 2 <*> values each, %zu events per commit (median of 3)\n", per_flush);
  std::printf("  aggregated upserts (selfheal)   %10.0f events/s\n", agg[1]);
  std::printf("  baseline: one indexed row/event %10.0f events/s\n", rows[1]);
  std::printf("  ratio %.1fx   (last run: %.0f%% of the time inside Store::commit)\n", agg[1] / rows[1],
              100.0 * commit_seconds * last_rate / static_cast<double>(n));
  if (!write_only) list_latency(dir);
  std::filesystem::remove_all(dir);
  return 0;
}
