#include <doctest/doctest.h>

#include "schema/metrics.hpp"

using namespace selfheal;

TEST_CASE("metrics render in the Prometheus text format with one HELP/TYPE per family") {
  Metrics m;
  m.counter("selfheal_x_events_total", "Events.", {{"source", "kafka"}}).inc(3);
  m.counter("selfheal_x_events_total", "Events.", {{"source", "loki\"push"}}).inc();
  m.gauge("selfheal_x_queue_events", "Queue.").set(7);
  auto& h = m.histogram("selfheal_x_duration_seconds", "Latency.", {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  auto text = m.render();
  CHECK(text.find("# TYPE selfheal_x_events_total counter\n") != std::string::npos);
  CHECK(text.find("selfheal_x_events_total{source=\"kafka\"} 3\n") != std::string::npos);
  CHECK(text.find("selfheal_x_events_total{source=\"loki\\\"push\"} 1\n") != std::string::npos);
  CHECK(text.find("selfheal_x_queue_events 7\n") != std::string::npos);
  CHECK(text.find("selfheal_x_duration_seconds_bucket{le=\"0.1\"} 1\n") != std::string::npos);
  CHECK(text.find("selfheal_x_duration_seconds_bucket{le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("selfheal_x_duration_seconds_count 3\n") != std::string::npos);
  // One HELP line per family even with two label sets.
  auto first = text.find("# HELP selfheal_x_events_total");
  CHECK(text.find("# HELP selfheal_x_events_total", first + 1) == std::string::npos);
}
