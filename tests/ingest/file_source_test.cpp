// File tail: rotation both ways while a writer thread appends, restart from stored positions, globs
// and the multiline hold-back. Every line carries its number so loss and duplication are visible.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "ingest/file_source.hpp"
#include "schema/clock.hpp"
#include "schema/metrics.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace selfheal::ingest;
using namespace std::chrono_literals;

namespace {

FileConfig config(const std::string& pattern) {
  FileConfig c;
  c.name = "files";
  c.paths = {pattern};
  c.labels = {{"service", "tailed"}};
  c.poll_interval_ms = 10;
  c.glob_interval_ms = 0;  // rescan on every poll
  c.multiline = false;
  return c;
}

/// Appends "line <i>" lines; rotates once at `rotate_at` by renaming (or truncating) the file.
class Writer {
 public:
  Writer(std::string path, int total, int rotate_at, bool copytruncate)
      : path_(std::move(path)), total_(total), rotate_at_(rotate_at), copytruncate_(copytruncate) {
    thread_ = std::thread([this] { run(); });
  }
  ~Writer() { thread_.join(); }
  bool done() const { return done_.load(); }
  int truncated_at() const { return truncated_at_.load(); }

 private:
  void run() {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    for (int i = 0; i < total_; ++i) {
      if (i == rotate_at_) {
        if (copytruncate_) {
          std::filesystem::copy_file(path_, path_ + ".1", std::filesystem::copy_options::overwrite_existing);
          REQUIRE(::ftruncate(fd, 0) == 0);
          truncated_at_ = i;
        } else {
          std::filesystem::rename(path_, path_ + ".1");
          ::close(fd);
          fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        }
      }
      std::string line = "line " + std::to_string(i) + "\n";
      REQUIRE(::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
      if (i % 500 == 0) std::this_thread::yield();
    }
    ::close(fd);
    done_ = true;
  }
  std::string path_;
  int total_, rotate_at_;
  bool copytruncate_;
  std::atomic<bool> done_{false};
  std::atomic<int> truncated_at_{-1};
  std::thread thread_;
};

struct Collector {
  std::map<int, int> seen;  // line number -> times received
  std::vector<SourcePosition> positions;
  void take(const Batch& b) {
    for (const auto& e : b.events) {
      CHECK(e.source == "files");
      CHECK(e.service == "tailed");
      seen[std::stoi(e.message.substr(5))]++;
    }
    for (const auto& p : b.positions) {
      auto it = std::find_if(positions.begin(), positions.end(), [&](const auto& q) { return q.key == p.key; });
      if (it == positions.end()) positions.push_back(p);
      else *it = p;
    }
  }
  int duplicates() const {
    int d = 0;
    for (const auto& [n, c] : seen) d += c > 1;
    return d;
  }
};

/// An empty app.log in a temporary directory, and what the sources tailing it delivered.
struct Tail {
  test::TempDir dir;
  std::string path = dir.file("app.log");
  FakeClock clock;
  Metrics metrics;
  Collector got;
  Tail() { test::write_file(path, ""); }
  /// Polls `src` into `got` until `done()` holds or `timeout` passes.
  template <class Done>
  bool drain(FileSource& src, Done done, std::chrono::milliseconds timeout) {
    return test::wait_until(
        [&] {
          auto b = src.poll(0ms);
          REQUIRE(b);
          got.take(*b);
          return done();
        },
        timeout);
  }
};

}  // namespace

TEST_CASE_FIXTURE(Tail, "rename-and-create rotation while writing: every line exactly once, also across a restart") {
  constexpr int total = 20'000;
  {
    FileSource src(config(path), clock, metrics);
    REQUIRE(src.start({}));
    Writer w(path, total, total / 2, false);
    // Stop half-way through (a restart), keeping only what a durable commit would have stored.
    CHECK(drain(
        src, [&] { return got.seen.size() >= static_cast<std::size_t>(total / 4); }, 20s));
  }
  FileSource again(config(path), clock, metrics);
  REQUIRE(again.start(got.positions));
  CHECK(drain(
      again, [&] { return got.seen.size() >= static_cast<std::size_t>(total); }, 30s));
  CHECK(got.seen.size() == static_cast<std::size_t>(total));
  CHECK(got.duplicates() == 0);
  CHECK(got.seen.begin()->first == 0);
  CHECK(got.seen.rbegin()->first == total - 1);
}

TEST_CASE_FIXTURE(Tail, "copytruncate rotation while writing: no duplicates, nothing after the truncate is lost") {
  constexpr int total = 20'000;
  FileSource src(config(path), clock, metrics);
  REQUIRE(src.start({}));
  std::unique_ptr<Writer> w = std::make_unique<Writer>(path, total, total / 2, true);
  CHECK(drain(
      src, [&] { return w->done() && got.seen.count(total - 1); }, 30s));
  const int cut = w->truncated_at();
  w.reset();
  REQUIRE(cut == total / 2);
  CHECK(got.duplicates() == 0);
  for (int i = cut; i < total; ++i) CHECK_MESSAGE(got.seen.count(i) == 1, "line " << i);
  // Lines written before the truncate but not yet read when it happened are the scheme's own loss.
  // Whether the reader saw the file shrink depends on timing here (a fast writer may finish before the
  // first poll); the deterministic check of the truncation counter is the next test.
}

TEST_CASE_FIXTURE(Tail, "a truncation seen by the reader is counted and reading restarts at the top") {
  FileSource src(config(path), clock, metrics);
  REQUIRE(src.start({}));
  {
    std::ofstream f(path, std::ios::app);
    for (int i = 0; i < 100; ++i) f << "line " << i << "\n";
  }
  CHECK(drain(
      src, [&] { return got.seen.count(99) == 1; }, 10s));
  std::filesystem::resize_file(path, 0);  // copytruncate: same inode, size drops to zero
  {
    std::ofstream f(path, std::ios::app);
    for (int i = 100; i < 110; ++i) f << "line " << i << "\n";
  }
  CHECK(drain(
      src, [&] { return got.seen.count(109) == 1; }, 10s));
  for (int i = 100; i < 110; ++i) CHECK(got.seen.count(i) == 1);
  CHECK(got.duplicates() == 0);
  CHECK(metrics.render().find("selfheal_file_truncations_total{source=\"files\"} 1") != std::string::npos);
}

TEST_CASE("globs pick up new files; start_at end skips existing content; a rotated file is retired") {
  test::TempDir dir;
  test::write_file(dir.file("a.log"), "old 1\nold 2\n");
  FakeClock clock;
  Metrics metrics;
  auto cfg = config(dir.path().string() + "/*.log");
  cfg.start_at = "end";
  FileSource src(cfg, clock, metrics);
  REQUIRE(src.start({}));
  Collector got;
  auto poll = [&] {
    auto b = src.poll(0ms);
    REQUIRE(b);
    got.take(*b);
    return *b;
  };
  poll();
  CHECK(got.seen.empty());
  { std::ofstream(dir.file("a.log"), std::ios::app) << "line 1\n"; }
  test::write_file(dir.file("b.log"), "line 2\nline 3\nline");  // new file: from its first byte
  poll();
  CHECK(got.seen.size() == 3);  // the unterminated "line" waits for its newline
  { std::ofstream(dir.file("b.log"), std::ios::app) << " 4\n"; }
  poll();
  CHECK(got.seen.size() == 4);
  CHECK(got.seen.count(4) == 1);
  CHECK(src.open_files() == 2);
  std::filesystem::rename(dir.file("a.log"), dir.file("a.old"));
  poll();
  CHECK(src.open_files() == 1);
  bool retired = false;
  for (const auto& p : got.positions) retired |= p.value == "gone";
  CHECK(retired);
}

TEST_CASE("multiline files: an error line without frames is its own event, header-less lines are one event each") {
  // Issue 12's file variant: "INFO ok" then an uncaught error printed without a header. And the
  // header-less reproduction, and a real trace, which still stitches.
  struct Row {
    const char* name;
    const char* content;
    std::vector<std::string> events;
  };
  const Row rows[] = {
      {"file variant", "2026-12-03T12:00:00.000Z INFO ok\nError: connect ECONNREFUSED 127.0.0.1:5432\n",
       {"2026-12-03T12:00:00.000Z INFO ok", "Error: connect ECONNREFUSED 127.0.0.1:5432"}},
      {"reproduction",
       "Error: connect ECONNREFUSED 127.0.0.1:5432\nGET /health 200 3ms\nuser alice logged in\nGET /api/users 500 12ms\n"
       "Error: connect ECONNREFUSED 127.0.0.1:5432\nworker 3 finished job 17\n",
       {"Error: connect ECONNREFUSED 127.0.0.1:5432", "GET /health 200 3ms", "user alice logged in",
        "GET /api/users 500 12ms", "Error: connect ECONNREFUSED 127.0.0.1:5432", "worker 3 finished job 17"}},
      {"trace after a header",
       "2026-12-03T12:00:00.000Z ERROR request failed\nError: connect ECONNREFUSED 127.0.0.1:5432\n"
       "    at TCPConnectWrap.afterConnect (node:net:1555:16)\nflush sensor data\n",
       {"2026-12-03T12:00:00.000Z ERROR request failed\nError: connect ECONNREFUSED 127.0.0.1:5432\n"
        "    at TCPConnectWrap.afterConnect (node:net:1555:16)\nflush sensor data"}},
      {"indented plain line", "flush sensor data\n getTodayTotalDetailSteps = 1514038440000##6993\n",
       {"flush sensor data", " getTodayTotalDetailSteps = 1514038440000##6993"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    test::TempDir dir;
    test::write_file(dir.file("app.log"), r.content);
    FakeClock clock;
    Metrics metrics;
    auto cfg = config(dir.path().string() + "/*.log");
    cfg.multiline = true;
    FileSource src(cfg, clock, metrics);
    REQUIRE(src.start({}));
    std::vector<std::string> got;
    for (int i = 0; i < 3; ++i) {
      auto b = src.poll(0ms);
      REQUIRE(b);
      for (const auto& e : b->events) got.push_back(e.message);
      clock.advance(10s);  // past stitch_max_wait_ms: the file is quiet, its open event closes
    }
    CHECK(got == r.events);
  }
}
