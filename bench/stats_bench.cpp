// Issue 6 benchmark: the stats write path (aggregated upserts, one transaction per flush) against
// row-per-event baselines measured in the same process: one that stores the same facts per event (the
// like-for-like comparison) and one that stores the message text instead; and the latency of listing a
// page of 50 fingerprints out of 100,000. Prints each figure with its input and what each stores.
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

/// The baseline: one indexed row per event. `like_for_like`: the row holds the facts the aggregated
/// path keeps queryable for each event (fingerprint, minute, service, host, the two <*> values), so
/// either store answers the same questions; otherwise the row also holds the full message text and no
/// host or values (the older, unequal baseline, kept to show what the message text costs).
double run_row_per_event(const Input& in, const std::string& dir, std::size_t per_flush, bool like_for_like) {
  SQLite::Database db(dir + "/rows.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  if (like_for_like) {
    db.exec("CREATE TABLE events(id INTEGER PRIMARY KEY, fingerprint_id TEXT, ts INTEGER, service TEXT, host TEXT, "
            "v1 TEXT, v2 TEXT)");
  } else {
    db.exec("CREATE TABLE events(id INTEGER PRIMARY KEY, fingerprint_id TEXT, ts INTEGER, service TEXT, message TEXT)");
  }
  db.exec("CREATE INDEX events_fp ON events(fingerprint_id, ts)");
  const auto start = Clock_::now();
  SQLite::Statement ins(db, like_for_like
                                ? "INSERT INTO events(fingerprint_id, ts, service, host, v1, v2) VALUES(?1,?2,?3,?4,?5,?6)"
                                : "INSERT INTO events(fingerprint_id, ts, service, message) VALUES(?1,?2,?3,?4)");
  std::size_t i = 0;
  while (i < in.events.size()) {
    SQLite::Transaction tx(db);
    for (std::size_t k = 0; k < per_flush && i < in.events.size(); ++k, ++i) {
      ins.bind(1, in.infos[in.which[i]].id);
      ins.bind(3, in.events[i].service);
      if (like_for_like) {
        ins.bind(2, static_cast<int64_t>(in.events[i].ts / 60'000 * 60'000));  // minute, as the series
        ins.bind(4, in.events[i].host);
        ins.bind(5, std::to_string(i % 97));  // the same values the aggregated run records
        ins.bind(6, std::to_string(i % 1013));
      } else {
        ins.bind(2, static_cast<int64_t>(in.events[i].ts));
        ins.bind(4, in.events[i].message);
      }
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
  std::vector<double> agg, same, msg;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto clean = [&] {
    for (const char* f : {"/agg.db", "/agg.db-wal", "/agg.db-shm", "/rows.db", "/rows.db-wal", "/rows.db-shm"})
      std::filesystem::remove(dir + f);
  };
  double last_rate = 0;
  for (int rep = 0; rep < 3; ++rep) {  // interleaved, so drift hits all three alike
    clean();
    agg.push_back(static_cast<double>(n) / run_aggregated(in, dir, per_flush));
    last_rate = agg.back();  // the run commit_seconds was measured in
    clean();
    same.push_back(static_cast<double>(n) / run_row_per_event(in, dir, per_flush, true));
    clean();
    msg.push_back(static_cast<double>(n) / run_row_per_event(in, dir, per_flush, false));
  }
  std::printf("stats_bench: write path, input 1,000,000 synthetic error events over 2,000 Zipf-distributed "
              "fingerprints, 7 services, 31 hosts, 2 <*> values each, %zu events per commit (median of 3)\n",
              per_flush);
  std::printf("  what each stores per event:\n"
              "    selfheal: counts per fingerprint and minute, per-fingerprint services, hosts and per-<*> top-64\n"
              "              values + HyperLogLog, source counts, at most one sample message per fingerprint\n"
              "    baseline (like for like): one indexed row (fingerprint, minute, service, host, both values):\n"
              "              the same questions answerable, exact instead of sketched, no sample text\n"
              "    baseline with text: one indexed row (fingerprint, ts, service, message): no host, no values,\n"
              "              but every message's text (more bytes per row than either of the others)\n");
  const double a = median(agg), b = median(same), c = median(msg);
  std::printf("  aggregated upserts (selfheal)          %10.0f events/s\n", a);
  std::printf("  baseline: row/event, same facts        %10.0f events/s   ratio %.1fx\n", b, a / b);
  std::printf("  baseline: row/event, message text      %10.0f events/s   ratio %.1fx\n", c, a / c);
  std::printf("  (last selfheal run: %.0f%% of the time inside Store::commit)\n",
              100.0 * commit_seconds * last_rate / static_cast<double>(n));
  if (!write_only) list_latency(dir);
  std::filesystem::remove_all(dir);
  return 0;
}
