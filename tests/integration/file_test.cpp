// File tail through a real `selfheal serve`: rotation both ways while a writer appends, and a
// restart in between; counts come back through the API and must be exact.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;

namespace {

std::int64_t file_lines(const std::string& base) {
  return test::source_lines(base, "app-files");
}

void append_lines(int fd, int from, int n) {
  for (int i = from; i < from + n; ++i) {
    std::string line = "2026-11-23 10:00:00 ERROR job " + std::to_string(i) + " failed\n";
    REQUIRE(::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  }
}

}  // namespace

TEST_CASE("files: rename-and-create and copytruncate rotation while writing, and a restart, count every line once") {
  test::TempDir dir;
  const std::string log = dir.file("app.log");
  const auto cfg = dir.file("selfheal.yaml");
  test::write_file(cfg, "fingerprint:\n  stitch_max_wait_ms: 200\ningest:\n  files:\n    - name: app-files\n      paths: ['" +
                            dir.path().string() + "/*.log']\n      labels: {service: jobs}\n      poll_interval_ms: 20\n"
                            "      glob_interval_ms: 50\n");
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  append_lines(fd, 0, 1000);
  {
    test::ServeProcess serve(dir.file("data"), cfg);
    // rename-and-create while the writer keeps going
    std::thread writer([&] {
      append_lines(fd, 1000, 2000);
      std::filesystem::rename(log, dir.file("app.log.1"));  // no longer matches *.log
      append_lines(fd, 3000, 500);                          // late writes to the renamed file
      ::close(fd);
      fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      append_lines(fd, 3500, 1500);
    });
    writer.join();
    CHECK(test::wait_until([&] { return file_lines(serve.base_url()) >= 5000; }, 30s));
    CHECK(file_lines(serve.base_url()) == 5000);
    CHECK(serve.stop(SIGTERM) == 0);
  }
  append_lines(fd, 5000, 1000);  // written while selfheal is down
  test::ServeProcess serve(dir.file("data"), cfg);
  CHECK(test::wait_until([&] { return file_lines(serve.base_url()) >= 6000; }, 30s));
  CHECK(file_lines(serve.base_url()) == 6000);
  // copytruncate: wait until everything is read, then copy + truncate and keep writing.
  std::filesystem::copy_file(log, dir.file("app.log.2"));  // name does not match the glob
  REQUIRE(::ftruncate(fd, 0) == 0);
  append_lines(fd, 6000, 2000);
  CHECK(test::wait_until([&] { return file_lines(serve.base_url()) >= 8000; }, 30s));
  CHECK(file_lines(serve.base_url()) == 8000);
  ::close(fd);
  CHECK(serve.stop(SIGTERM) == 0);
}
