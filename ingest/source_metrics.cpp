#include "ingest/source_metrics.hpp"

namespace selfheal::ingest {

SourceMetrics::SourceMetrics(Metrics& metrics, std::string_view source)
    : received(metrics.counter("selfheal_source_events_received_total",
                               "Events a source handed to the pipeline (after multiline stitching).",
                               {{"source", std::string(source)}})),
      accepted(metrics.counter("selfheal_source_events_accepted_total",
                               "Events of a source that became durable in the store.", {{"source", std::string(source)}})),
      dead_letters(metrics.counter("selfheal_source_dead_letters_total",
                                   "Undecodable records or bodies a source kept as dead letters.",
                                   {{"source", std::string(source)}})),
      bytes(metrics.counter("selfheal_source_bytes_received_total", "Bytes a source read from its peer, as sent.",
                            {{"source", std::string(source)}})),
      metrics_(metrics),
      source_(source) {}

void SourceMetrics::rejected(std::string_view reason, std::uint64_t n) {
  metrics_
      .counter("selfheal_source_events_rejected_total",
               "Entries (or whole bodies, when undecodable) a source refused, by reason.",
               {{"source", source_}, {"reason", std::string(reason)}})
      .inc(n);
}

}  // namespace selfheal::ingest
