// selfheal_kafka_mock: librdkafka's mock cluster in its own process, so that a consumer process
// (`selfheal serve`) can be killed and restarted against the same brokers, group offsets and data.
//
//   selfheal_kafka_mock [--brokers 3] [--topic NAME:PARTITIONS]...
//
// Prints "BOOTSTRAP <host:port,...>" on stdout once the cluster is up, then runs until SIGTERM or
// SIGINT (or until stdin reaches EOF when started with --stdin-eof, for scripts that pipe to it).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  int brokers = 3;
  bool stdin_eof = false;
  std::vector<std::pair<std::string, int>> topics;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--brokers" && i + 1 < argc) {
      brokers = std::atoi(argv[++i]);
    } else if (a == "--topic" && i + 1 < argc) {
      const std::string t = argv[++i];
      const auto colon = t.rfind(':');
      if (colon == std::string::npos) {
        topics.emplace_back(t, 4);
      } else {
        topics.emplace_back(t.substr(0, colon), std::atoi(t.c_str() + colon + 1));
      }
    } else if (a == "--stdin-eof") {
      stdin_eof = true;
    } else {
      std::fprintf(stderr, "usage: %s [--brokers N] [--topic NAME:PARTITIONS]... [--stdin-eof]\n", argv[0]);
      return 2;
    }
  }
  // Block the stop signals before librdkafka starts its threads, then wait for them here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  rd_kafka_t* owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (owner == nullptr) {
    std::fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(owner, brokers);
  if (mc == nullptr) {
    std::fprintf(stderr, "cannot create the mock cluster\n");
    return 1;
  }
  for (const auto& [name, parts] : topics) {
    if (auto e = rd_kafka_mock_topic_create(mc, name.c_str(), parts, 1); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "topic %s: %s\n", name.c_str(), rd_kafka_err2str(e));
      return 1;
    }
  }
  std::printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  std::fflush(stdout);

  if (stdin_eof) {
    char buf[256];
    while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
    }
  } else {
    int sig = 0;
    sigwait(&stop, &sig);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(owner);
  return 0;
}
