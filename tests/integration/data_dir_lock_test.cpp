// Issue 15 item 6: one data directory, one process. A second `selfheal serve` on a data dir in use
// exits 1 with a message naming the holder; the lock goes with the process (SIGTERM or kill -9).
#include <doctest/doctest.h>
#include <signal.h>

#include <string>

#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;

namespace {
test::RunResult second_serve(const std::string& data_dir) {
  return test::run({test::selfheal_binary(), "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir}, {}, {}, 30s);
}
}  // namespace

TEST_CASE("a second serve on a data dir in use exits 1 and says which process holds it") {
  test::TempDir dir;
  const std::string data = dir.file("data");
  {
    test::ServeProcess first(data);
    auto second = second_serve(data);
    CAPTURE(second.err);
    CHECK(second.exit_code == 1);
    CHECK(second.err.find("is in use by another selfheal serve (pid " + std::to_string(first.pid()) + ")") !=
          std::string::npos);
    CHECK(second.err.find("Listening") == std::string::npos);  // it never served
    CHECK(first.running());
    CHECK(test::http_get(first.base_url(), "/readyz").status == 200);
    CHECK(first.stop(SIGKILL) == -1);  // the kernel releases the lock with the process
  }
  test::ServeProcess after_kill(data);  // throws if it cannot start
  CHECK(test::http_get(after_kill.base_url(), "/healthz").status == 200);
  CHECK(after_kill.stop() == 0);
  test::ServeProcess after_stop(data);
  CHECK(after_stop.stop() == 0);
}
