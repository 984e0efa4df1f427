// Kafka source.
//
//   librdkafka consumer (group, subscribe topics | ^regex)
//        │ rd_kafka_consumer_poll (one queue: messages + rebalance/error callbacks)
//        ▼
//   admit(partition state, stream, offset) ──reject_revoked / reject_stale──► ignored (no position)
//        │ accept                     └─skip_counted (replay zone, already counted)─► position only
//        ▼
//   RecordDecoder (text | json | auto) ──bad JSON / too large──► DeadLetter (stream flushed first)
//        ▼
//   per-partition fingerprint::Stitcher, stream = record key ──► LogEvent (first line's fields)
//        ▼
//   Batch{events, dead letters, positions}  position per partition = position_to_store(...)
//        ▼ (SourceRunner) submit ─► store txn with the counts ─► durable ─► commit(): offsets_store
//                                                                          └► auto-commit to Kafka
// Rebalance (callback inside poll): assign → read positions fresh from the store + Kafka's committed
// offsets → decide_start → assign / incremental_assign with those offsets. Revoke → before_revoke()
// (every submitted batch durable and committed) → sync Kafka commit → drop the partitions' state
// (stitcher, staged events) → assign(NULL) / incremental_unassign. Lost → drop only.
// Fatal error (poll returns __FATAL) → destroy the handle (no close, no commit), drop every partition's
// state, fail the poll; later polls fail until before_revoke() reports every submitted batch durable,
// then create a new consumer (new group member) that resumes from the store like any assignment.
//
// Invariants: parts_ holds exactly the current assignment; a partition's staged events and its
// position leave in the same Batch; a position never moves past a line that was not emitted
// (kafka_commit.hpp explains the pending map).
#include "ingest/kafka_source.hpp"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

#include "fingerprint/stitcher.hpp"
#include "ingest/detail/rdkafka_handles.hpp"
#include "ingest/kafka_record.hpp"
#include "ingest/source_metrics.hpp"
#include "schema/log.hpp"

namespace selfheal::ingest {

using namespace kafka;  // NOLINT(google-build-using-namespace): this file is the Kafka source

namespace {

/// Records of one stream whose event is still open in the stitcher.
struct OpenStream {
  std::int64_t first_offset = 0;  // offset of the open event's first line
  LogEvent head;                  // decoded first line (labels, ts, service...); message unused
};

struct Partition {
  TopicPartition tp;
  PartitionState adm;
  std::int64_t consumed_next = -1;  // every admitted offset is below; -1 before the first record
  std::unique_ptr<fingerprint::Stitcher> stitcher;
  std::unordered_map<std::string, OpenStream> open;  // Invariant: the stitcher's active streams
  std::uint64_t streams_started = 0;
  std::vector<LogEvent> staged;
  std::vector<DeadLetter> staged_dead;
  std::string last_position;
  bool moved = false;  // position may have changed since the last batch
  // The stitcher's clock is the partition's data time (highest record timestamp seen), so where an
  // event is cut does not depend on how fast or how often we poll, and a replay cuts the same way.
  UnixMs data_now = 0;
  UnixMs last_arrival = 0;  // wall clock of the last record
  bool at_eof = false;      // caught up: librdkafka reported the end of the partition
};

constexpr std::uint64_t stitcher_recycle_starts = 100'000;  // bounds the stitcher's per-key map

}  // namespace

struct KafkaSource::Impl {
  Impl(KafkaConfig c, PositionStore& p, Metrics& m, const Clock& cl, StitchLimits s)
      : cfg(std::move(c)), positions(p), metrics(m), clock(cl) {
    stitch.max_lines = s.max_lines;
    stitch.max_wait_ms = s.max_wait_ms;
    stitch.max_bytes = s.max_bytes;
    stitch.entries = true;  // each record is one event of its shipper; records glue only on trace shapes
    decoder.format = parse_record_format(cfg.format);
    decoder.fields = cfg.fields;
    decoder.max_record_bytes = static_cast<std::size_t>(cfg.max_record_bytes);
    const MetricLabels src{{"source", cfg.name}};
    auto records = [&](const char* outcome) {
      return &metrics.counter("selfheal_kafka_records_total", "Kafka records by what the source did with them.",
                              {{"source", cfg.name}, {"outcome", outcome}});
    };
    bytes = &SourceMetrics(metrics, cfg.name).bytes;
    rec_accepted = records("accepted");
    rec_replay_skipped = records("replay_skipped");
    rec_revoked = records("revoked");
    rec_stale = records("stale");
    rec_dead = records("dead_letter");
    errors = &metrics.counter("selfheal_kafka_errors_total", "Consumer errors reported by librdkafka.", src);
    auto rebalances = [&](const char* kind) {
      return &metrics.counter("selfheal_kafka_rebalances_total", "Partition assignment changes.",
                              {{"source", cfg.name}, {"kind", kind}});
    };
    assigns = rebalances("assign");
    revokes = rebalances("revoke");
    losts = rebalances("lost");
    stale_positions = &metrics.counter("selfheal_kafka_stale_positions_total",
                                       "Assigned partitions whose stored position was behind the group's commit.", src);
    offset_resets = &metrics.counter("selfheal_kafka_offset_resets_total",
                                     "Partitions whose position was out of range at the broker (records lost to retention).",
                                     src);
    position_read_errors = &metrics.counter("selfheal_kafka_position_read_errors_total",
                                            "Assignments resumed from Kafka because the store could not be read.", src);
    pending_streams = &metrics.gauge("selfheal_kafka_pending_streams", "Streams with an open multiline event.", src);
    assigned_gauge = &metrics.gauge("selfheal_kafka_assigned_partitions", "Partitions assigned to this consumer.", src);
    fatal_errors = &metrics.counter("selfheal_kafka_fatal_errors_total",
                                    "Fatal librdkafka errors; the consumer is destroyed and created again.", src);
    recreated = &metrics.counter("selfheal_kafka_consumer_recreations_total",
                                 "Consumers created again after a fatal error.", src);
  }

  // ---- config / lifecycle ----
  Result<void> create();
  // ---- callbacks (inside rd_kafka_consumer_poll, on the runner thread) ----
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list);
  void on_assign(rd_kafka_topic_partition_list_t* list, RebalanceProtocol proto);
  void on_revoke(rd_kafka_topic_partition_list_t* list, RebalanceProtocol proto);
  void on_error(int err, const char* reason);
  // ---- records ----
  Partition* lookup(rd_kafka_message_t* m);
  void handle(rd_kafka_message_t* m, UnixMs now);
  void stitch_push(Partition& p, std::string_view key, LogEvent&& ev, std::int64_t offset);
  void emit(Partition& p, std::string_view stream, fingerprint::StitchedEvent& se);
  void flush_partition(Partition& p);
  void flush_expired(UnixMs now);
  Batch collect();
  void drop_all();
  void discard_after_fatal();
  bool settled_for_replacement();
  void set_health(bool ok, std::string detail) {
    std::lock_guard lock(health_mu);
    health.ok = ok;
    health.detail = std::move(detail);
  }

  KafkaConfig cfg;
  PositionStore& positions;
  Metrics& metrics;
  const Clock& clock;
  fingerprint::StitchOptions stitch;
  RecordDecoder decoder;
  detail::KafkaPtr rk;
  bool closed = false;
  bool replace_pending = false;  // the consumer hit a fatal error and was destroyed; poll() recreates it
  std::function<bool()> before_revoke;
  std::map<TopicPartition, std::unique_ptr<Partition>> parts;  // Invariant: the current assignment
  std::map<TopicPartition, std::int64_t> last_committed;
  rd_kafka_topic_t* cache_rkt = nullptr;  // one-entry lookup cache: records arrive in runs per partition
  std::int32_t cache_partition = -1;
  Partition* cache = nullptr;
  std::vector<fingerprint::StitchedEvent> scratch;
  mutable std::mutex health_mu;
  SourceHealth health;                              // guarded by health_mu
  std::vector<TopicPartition> assignment_snapshot;  // guarded by health_mu (read by other threads)
  log::RateLimit error_log{10};

  Counter* bytes;  // selfheal_source_bytes_received_total: record values decoded
  Counter* rec_accepted;
  Counter* rec_replay_skipped;
  Counter* rec_revoked;
  Counter* rec_stale;
  Counter* rec_dead;
  Counter* errors;
  Counter* assigns;
  Counter* revokes;
  Counter* losts;
  Counter* stale_positions;
  Counter* position_read_errors;
  Counter* offset_resets;
  Gauge* pending_streams;
  Gauge* assigned_gauge;
  Counter* fatal_errors;
  Counter* recreated;
};

namespace {

void rebalance_cb(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list, void* opaque) {
  static_cast<KafkaSource::Impl*>(opaque)->on_rebalance(err, list);
}

void error_cb(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  static_cast<KafkaSource::Impl*>(opaque)->on_error(err, reason);
}

void log_cb(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  const int l = level;  // syslog levels
  if (std::strcmp(fac, "OFFSET") == 0 && std::strstr(buf, "offset reset") != nullptr) {
    // The position we asked for is gone from the broker (retention) or invalid: librdkafka jumps per
    // auto.offset.reset and the records in between are never read. That is data loss at the peer.
    if (auto* im = static_cast<KafkaSource::Impl*>(rd_kafka_opaque(rk)); im != nullptr) im->offset_resets->inc();
    spdlog::error("Kafka offset reset: records were deleted or unavailable before they were read. detail=\"{}\"", buf);
    return;
  }
  if (l <= 3) {
    spdlog::error("Kafka client error. facility={} detail=\"{}\"", fac, buf);
  } else if (l <= 4) {
    spdlog::warn("Kafka client warning. facility={} detail=\"{}\"", fac, buf);
  } else {
    spdlog::debug("Kafka client. facility={} detail=\"{}\"", fac, buf);
  }
}

std::vector<TopicPartition> to_vector(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  if (list == nullptr) return out;
  out.reserve(static_cast<std::size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) out.push_back({list->elems[i].topic, list->elems[i].partition});
  return out;
}

}  // namespace

Result<void> KafkaSource::Impl::create() {
  detail::ConfPtr conf(rd_kafka_conf_new());
  const bool eager = cfg.assignment_strategy == "eager";
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", cfg.brokers},
      {"group.id", cfg.group_id},
      {"client.id", cfg.client_id.empty() ? "selfheal-" + cfg.name : cfg.client_id},
      {"enable.auto.offset.store", "false"},
      {"enable.auto.commit", "true"},
      {"auto.commit.interval.ms", std::to_string(cfg.auto_commit_interval_ms)},
      {"auto.offset.reset", cfg.auto_offset_reset},
      {"partition.assignment.strategy", eager ? "range,roundrobin" : "cooperative-sticky"},
      {"session.timeout.ms", std::to_string(cfg.session_timeout_ms)},
      {"heartbeat.interval.ms", std::to_string(cfg.heartbeat_interval_ms)},
      {"max.poll.interval.ms", std::to_string(cfg.max_poll_interval_ms)},
      {"enable.partition.eof", "true"},  // tells when a partition is idle (stitcher flush)
  };
  const auto& tuning = consumer_tuning();
  props.insert(props.end(), tuning.required.begin(), tuning.required.end());
  if (auto r = detail::set_properties(conf.get(), props); !r) return r;
  for (const auto& [k, v] : tuning.optional) {
    char ignored[256];
    (void)rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), ignored, sizeof ignored);  // unknown before 2.1
  }
  if (auto r = detail::set_properties(conf.get(), cfg.properties); !r) return r;  // the user's win
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_rebalance_cb(conf.get(), rebalance_cb);
  rd_kafka_conf_set_error_cb(conf.get(), error_cb);
  rd_kafka_conf_set_log_cb(conf.get(), log_cb);

  char err[512];
  rd_kafka_t* h = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err);
  if (h == nullptr) return make_error(ErrorCode::config, "Kafka source '" + cfg.name + "': " + err);
  conf.release();  // owned by the handle now
  rk.reset(h);
  rd_kafka_poll_set_consumer(h);

  detail::PartitionListPtr topics(rd_kafka_topic_partition_list_new(static_cast<int>(cfg.topics.size() + 1)));
  if (!cfg.topic_regex.empty()) {
    const std::string re = cfg.topic_regex.front() == '^' ? cfg.topic_regex : "^" + cfg.topic_regex;
    rd_kafka_topic_partition_list_add(topics.get(), re.c_str(), RD_KAFKA_PARTITION_UA);
  }
  for (const auto& t : cfg.topics) rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  if (auto e = rd_kafka_subscribe(h, topics.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(ErrorCode::config, "Kafka source '" + cfg.name + "': subscribe failed: " + rd_kafka_err2str(e));
  }
  spdlog::info("Kafka source started. source={} brokers={} group={} strategy={}", cfg.name, cfg.brokers, cfg.group_id,
               eager ? "eager" : "cooperative-sticky");
  return ok();
}

void KafkaSource::Impl::on_error(int err, const char* reason) {
  errors->inc();
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || code == RD_KAFKA_RESP_ERR__TRANSPORT ||
      code == RD_KAFKA_RESP_ERR__RESOLVE || code == RD_KAFKA_RESP_ERR__FATAL || code == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
    set_health(false, std::string("kafka: ") + rd_kafka_err2name(code) + ": " + reason);
  }
  std::uint64_t suppressed = 0;
  if (error_log.allow(suppressed)) {
    spdlog::warn("Kafka consumer error. source={} code={} reason=\"{}\" suppressed={}", cfg.name,
                 rd_kafka_err2name(code), reason, suppressed);
  }
}

void KafkaSource::Impl::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list) {
  const bool coop = std::strcmp(rd_kafka_rebalance_protocol(rk.get()), "COOPERATIVE") == 0;
  const auto proto = coop ? RebalanceProtocol::cooperative : RebalanceProtocol::eager;
  cache = nullptr;
  cache_rkt = nullptr;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    on_assign(list, proto);
  } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    on_revoke(list, proto);
  } else {
    spdlog::warn("Kafka rebalance error; dropping the assignment. source={} error={}", cfg.name, rd_kafka_err2name(err));
    drop_all();
    if (coop) {
      detail::ErrorPtr(rd_kafka_incremental_unassign(rk.get(), list));
    } else {
      rd_kafka_assign(rk.get(), nullptr);
    }
  }
  assigned_gauge->set(static_cast<double>(parts.size()));
  std::lock_guard lock(health_mu);
  assignment_snapshot.clear();
  for (const auto& [tp, p] : parts) assignment_snapshot.push_back(tp);
}

void KafkaSource::Impl::on_assign(rd_kafka_topic_partition_list_t* list, RebalanceProtocol proto) {
  assigns->inc();
  // Positions are read fresh: the previous owner made its batches durable before letting go.
  std::map<std::string, PartitionPosition, std::less<>> stored;
  if (auto r = positions.positions(cfg.name); r) {
    for (const auto& p : *r) {
      if (auto pos = decode_position(p.value)) {
        stored.emplace(p.key, *pos);
      } else {
        spdlog::warn("Ignoring a malformed stored Kafka position. source={} key={} value=\"{}\"", cfg.name, p.key, p.value);
      }
    }
  } else {
    position_read_errors->inc();
    spdlog::error("Cannot read stored positions; resuming from Kafka's committed offsets (lines may be counted "
                  "twice). source={} error=\"{}\"",
                  cfg.name, r.error().message);
  }
  // The group's committed offsets tell whether another member moved past our stored positions.
  detail::PartitionListPtr committed(rd_kafka_topic_partition_list_copy(list));
  const bool have_committed =
      rd_kafka_committed(rk.get(), committed.get(), static_cast<int>(std::min<std::int64_t>(cfg.session_timeout_ms, 10'000))) ==
      RD_KAFKA_RESP_ERR_NO_ERROR;
  if (!have_committed) spdlog::warn("Cannot read committed offsets at assignment; the store decides. source={}", cfg.name);

  std::string summary;
  for (int i = 0; i < list->cnt; ++i) {
    auto& el = list->elems[i];
    TopicPartition tp{el.topic, el.partition};
    std::optional<PartitionPosition> mine;
    if (auto it = stored.find(position_key(tp)); it != stored.end()) mine = it->second;
    std::optional<std::int64_t> theirs;
    if (have_committed) {
      const auto* c = rd_kafka_topic_partition_list_find(committed.get(), el.topic, el.partition);
      if (c != nullptr && c->err == RD_KAFKA_RESP_ERR_NO_ERROR && c->offset >= 0) theirs = c->offset;
    }
    const StartDecision d = decide_start(mine, theirs);
    if (d.stale_store) {
      stale_positions->inc();
      spdlog::warn("Stored Kafka position is behind the group's commit; starting from the commit. source={} "
                   "partition={} stored={} committed={}",
                   cfg.name, position_key(tp), mine->seek_offset(), *theirs);
    }
    el.offset = d.seek.value_or(RD_KAFKA_OFFSET_INVALID);
    auto p = std::make_unique<Partition>();
    p->tp = tp;
    p->adm.resume = d.resume;
    p->adm.expected = d.seek.value_or(-1);
    p->consumed_next = d.seek.value_or(-1);
    if (cfg.multiline) p->stitcher = std::make_unique<fingerprint::Stitcher>(stitch);
    last_committed[tp] = theirs.value_or(-1);
    parts[tp] = std::move(p);
    summary += (summary.empty() ? "" : ",") + position_key(tp) + "@" +
               (d.seek ? std::to_string(*d.seek) : std::string("reset")) + "(store=" +
               (mine ? encode_position(*mine) : std::string("none")) +
               " kafka=" + (theirs ? std::to_string(*theirs) : std::string("none")) + ")";
  }
  spdlog::info("Kafka partitions assigned. source={} protocol={} partitions={}", cfg.name,
               proto == RebalanceProtocol::eager ? "eager" : "cooperative", summary);
  if (proto == RebalanceProtocol::cooperative) {
    detail::ErrorPtr e(rd_kafka_incremental_assign(rk.get(), list));
    if (e) {
      spdlog::error("Kafka incremental assign failed. source={} error=\"{}\"", cfg.name, rd_kafka_error_string(e.get()));
    }
  } else if (auto e = rd_kafka_assign(rk.get(), list); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::error("Kafka assign failed. source={} error=\"{}\"", cfg.name, rd_kafka_err2str(e));
  }
}

void KafkaSource::Impl::on_revoke(rd_kafka_topic_partition_list_t* list, RebalanceProtocol proto) {
  const bool lost = rd_kafka_assignment_lost(rk.get()) != 0;
  (lost ? losts : revokes)->inc();
  std::set<TopicPartition> assigned;
  for (const auto& [tp, p] : parts) assigned.insert(tp);
  const RevokeDecision d = decide_revoke(proto, assigned, to_vector(list), lost);
  if (d.wait_durable && before_revoke) before_revoke();
  if (d.commit_offsets) {
    detail::PartitionListPtr offs(rd_kafka_topic_partition_list_new(static_cast<int>(d.revoked.size())));
    for (const auto& tp : d.revoked) {
      auto it = last_committed.find(tp);
      if (it == last_committed.end() || it->second < 0) continue;
      rd_kafka_topic_partition_list_add(offs.get(), tp.topic.c_str(), tp.partition)->offset = it->second;
    }
    if (offs->cnt > 0) {
      if (auto e = rd_kafka_commit(rk.get(), offs.get(), 0); e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        spdlog::warn("Kafka commit at revoke failed; the store keeps the exact positions. source={} error={}", cfg.name,
                     rd_kafka_err2name(e));
      }
    }
  }
  for (const auto& tp : d.revoked) {
    parts.erase(tp);
    last_committed.erase(tp);
  }
  spdlog::info("Kafka partitions revoked. source={} count={} lost={}", cfg.name, d.revoked.size(), lost);
  if (proto == RebalanceProtocol::cooperative) {
    detail::ErrorPtr e(rd_kafka_incremental_unassign(rk.get(), list));
  } else {
    parts.clear();  // eager: the whole assignment goes
    rd_kafka_assign(rk.get(), nullptr);
  }
}

void KafkaSource::Impl::drop_all() {
  parts.clear();
  {
    std::lock_guard lock(health_mu);
    assignment_snapshot.clear();
  }
  last_committed.clear();
  cache = nullptr;
  cache_rkt = nullptr;
}

void KafkaSource::Impl::discard_after_fatal() {
  // A fatal error ends this consumer for good (librdkafka: no further use but destroy). Nothing is
  // committed to Kafka and the group is not left (the handle refuses both); what was polled but not
  // returned (staged events, open multiline events) is dropped with its partitions: no position
  // covering it left the source, so it is read again.
  rd_kafka_destroy_flags(rk.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  drop_all();
  assigned_gauge->set(0);
  replace_pending = true;
}

bool KafkaSource::Impl::settled_for_replacement() {
  // Every batch already submitted must be durable (and committed) before a new consumer exists: it
  // reads its positions from the store at assignment and would count those batches a second time.
  // Unlike a revoke there is no deadline from the group here, so without durability: no consumer yet.
  return !before_revoke || before_revoke();
}

Partition* KafkaSource::Impl::lookup(rd_kafka_message_t* m) {
  if (cache != nullptr && m->rkt == cache_rkt && m->partition == cache_partition) return cache;
  auto it = parts.find(TopicPartition{rd_kafka_topic_name(m->rkt), m->partition});
  if (it == parts.end()) return nullptr;
  cache = it->second.get();
  cache_rkt = m->rkt;
  cache_partition = m->partition;
  return cache;
}

void KafkaSource::Impl::emit(Partition& p, std::string_view stream, fingerprint::StitchedEvent& se) {
  auto it = p.open.find(std::string(stream));
  if (it == p.open.end()) {
    // Not reachable while the invariant holds; keep the text rather than lose it.
    LogEvent e;
    e.source = cfg.name;
    e.ts = clock.now_ms();
    e.message = std::move(se.text);
    e.service = "unknown";
    p.staged.push_back(std::move(e));
    return;
  }
  // A copy: one push may complete several events of a stream (lines held back after an exception
  // line that no frame followed become events of their own); they share the stream's labels.
  LogEvent e = it->second.head;
  e.message = std::move(se.text);
  e.lines = static_cast<std::uint32_t>(se.lines);
  e.truncated = e.truncated || se.truncated;
  p.staged.push_back(std::move(e));
}

void KafkaSource::Impl::stitch_push(Partition& p, std::string_view key, LogEvent&& ev, std::int64_t offset) {
  auto& st = *p.stitcher;
  const std::size_t before = st.pending();
  const std::string skey(key);
  auto open_it = p.open.find(skey);
  const bool was_open = open_it != p.open.end();
  scratch.clear();
  st.push(key, ev.message, p.data_now, scratch);
  const std::size_t after = st.pending();
  // push emits only for this stream; started = after - before + emitted.
  const bool started = after + scratch.size() > before;
  for (auto& se : scratch) emit(p, se.stream, se);
  if (started) {
    ev.message.clear();
    auto& o = p.open[skey];
    o.first_offset = offset;
    o.head = std::move(ev);
    ++p.streams_started;
  } else if (!scratch.empty() || !was_open) {
    p.open.erase(skey);  // the event ended (or a blank line between events was dropped)
  }
  if (p.open.size() > static_cast<std::size_t>(cfg.max_pending_streams) ||
      (p.streams_started >= stitcher_recycle_starts)) {
    flush_partition(p);
    if (p.streams_started >= stitcher_recycle_starts) {
      p.stitcher = std::make_unique<fingerprint::Stitcher>(stitch);
      p.streams_started = 0;
    }
  }
}

void KafkaSource::Impl::flush_partition(Partition& p) {
  if (!p.stitcher || p.open.empty()) return;
  scratch.clear();
  p.stitcher->flush_all(scratch);
  for (auto& se : scratch) emit(p, se.stream, se);
  p.open.clear();
  p.moved = true;
}

void KafkaSource::Impl::flush_expired(UnixMs now) {
  for (auto& [tp, p] : parts) {
    if (!p->stitcher || p->open.empty()) continue;
    scratch.clear();
    p->stitcher->flush_expired(p->data_now, scratch);
    for (auto& se : scratch) emit(*p, se.stream, se);
    for (auto& se : scratch) {
      p->open.erase(se.stream);
      p->moved = true;
    }
    // An idle partition (at its end for max_wait of wall time) gets no more lines to close its events.
    if (p->at_eof && now - p->last_arrival > stitch.max_wait_ms) flush_partition(*p);
  }
}

void KafkaSource::Impl::handle(rd_kafka_message_t* m, UnixMs now) {
  Partition* p = lookup(m);
  const std::string_view key(static_cast<const char*>(m->key), m->key == nullptr ? 0 : m->key_len);
  const std::uint64_t stream = cfg.multiline ? stream_id(key) : 0;
  rd_kafka_timestamp_type_t tstype;
  const std::int64_t kts = rd_kafka_message_timestamp(m, &tstype);
  const Admission verdict = admit(p != nullptr ? &p->adm : nullptr, stream, m->offset);
  switch (verdict) {
    case Admission::reject_revoked: rec_revoked->inc(); return;
    case Admission::reject_stale: rec_stale->inc(); return;
    case Admission::skip_counted:
    case Admission::accept: break;
  }
  // Accepted or skipped: the record is consumed and moves the partition's data clock.
  p->consumed_next = m->offset + 1;
  p->moved = true;
  p->data_now = std::max(p->data_now, kts > 0 ? kts : now);
  p->last_arrival = now;
  p->at_eof = false;
  if (verdict == Admission::skip_counted) {
    rec_replay_skipped->inc();
    return;
  }
  RecordMeta meta{cfg.name, p->tp.topic, p->tp.partition, m->offset, kts > 0 ? kts : 0, now};
  bytes->inc(m->len);
  auto decoded = decoder.decode(
      std::string_view(static_cast<const char*>(m->payload), m->payload == nullptr ? 0 : m->len), meta);
  if (auto* dl = std::get_if<DeadLetter>(&decoded)) {
    rec_dead->inc();
    // Emit the stream's open event first, so no dead letter sits above a pending offset (it would be
    // stored a second time on a replay).
    flush_partition(*p);
    p->staged_dead.push_back(std::move(*dl));
    return;
  }
  rec_accepted->inc();
  auto& ev = std::get<LogEvent>(decoded);
  if (!cfg.multiline) {
    p->staged.push_back(std::move(ev));
    return;
  }
  stitch_push(*p, key, std::move(ev), m->offset);
}

Batch KafkaSource::Impl::collect() {
  Batch b;
  std::size_t open = 0;
  for (auto& [tp, p] : parts) {
    open += p->open.size();
    if (b.events.empty()) {
      b.events = std::move(p->staged);
    } else {
      for (auto& e : p->staged) b.events.push_back(std::move(e));
    }
    p->staged.clear();
    for (auto& d : p->staged_dead) b.dead_letters.push_back(std::move(d));
    p->staged_dead.clear();
    if (!p->moved || p->consumed_next < 0) continue;
    p->moved = false;
    std::map<std::uint64_t, std::int64_t> live;
    for (const auto& [key, o] : p->open) {
      auto [it, inserted] = live.emplace(stream_id(key), o.first_offset);
      if (!inserted) it->second = std::min(it->second, o.first_offset);
    }
    std::string enc = encode_position(position_to_store(p->consumed_next, live, p->adm.resume));
    if (enc == p->last_position) continue;
    p->last_position = enc;
    b.positions.push_back(SourcePosition{cfg.name, position_key(tp), std::move(enc)});
  }
  pending_streams->set(static_cast<double>(open));
  return b;
}

const ConsumerTuning& consumer_tuning() {
  static const ConsumerTuning t{
      // ~1 s of work at the rates kafka_bench measures (Loghub lines, ~135 bytes); 128 MB caps memory.
      {{"queued.min.messages", "1000000"}, {"queued.max.messages.kbytes", "131072"}},
      // librdkafka >= 2.1: how long a full queue postpones the next fetch (default 1000 ms).
      {{"fetch.queue.backoff.ms", "20"}},
  };
  return t;
}

// ---- KafkaSource ----

KafkaSource::KafkaSource(KafkaConfig cfg, PositionStore& positions, Metrics& metrics, const Clock& clock,
                         StitchLimits stitch)
    : impl_(std::make_unique<Impl>(std::move(cfg), positions, metrics, clock, stitch)) {}

KafkaSource::~KafkaSource() { close(); }

std::string_view KafkaSource::name() const { return impl_->cfg.name; }

Result<void> KafkaSource::start(const std::vector<SourcePosition>& /*stored*/) {
  if (impl_->rk) return make_error(ErrorCode::conflict, "Kafka source already started");
  impl_->closed = false;
  return impl_->create();
}

Result<Batch> KafkaSource::poll(std::chrono::milliseconds max_wait) {
  auto& im = *impl_;
  if (!im.rk && im.replace_pending && !im.closed) {
    // After a fatal error: a new consumer (new member of the group). A failure here is a poll error,
    // so the runner backs off (50 ms doubling to 5 s) before the next attempt.
    if (!im.settled_for_replacement()) {
      return make_error(ErrorCode::unavailable, "Kafka source '" + im.cfg.name +
                                                    "': waiting for submitted batches to become durable before "
                                                    "creating the consumer again");
    }
    if (auto r = im.create(); !r) {
      im.rk.reset();
      return make_error(ErrorCode::unavailable, "Kafka source '" + im.cfg.name +
                                                    "': creating the consumer again failed: " + r.error().message);
    }
    im.replace_pending = false;
    im.recreated->inc();
    spdlog::warn("Kafka consumer created again after a fatal error. source={}", im.cfg.name);
  }
  if (!im.rk) return make_error(ErrorCode::unavailable, "Kafka source '" + im.cfg.name + "' is not running");
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  const auto max_records = static_cast<std::size_t>(im.cfg.max_batch_records);
  std::size_t n = 0;
  bool fatal = false;
  std::string fatal_reason;
  while (n < max_records) {
    int timeout = 0;
    if (n == 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      timeout = static_cast<int>(left.count());
    }
    detail::MessagePtr m(rd_kafka_consumer_poll(im.rk.get(), timeout));
    if (!m) {
      if (n > 0) break;
      continue;  // waited (maybe served callbacks); loop re-checks the deadline
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (Partition* p = im.lookup(m.get()); p != nullptr) p->at_eof = true;
        continue;
      }
      im.errors->inc();
      if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_fatal_error(im.rk.get(), buf, sizeof buf);
        fatal = true;
        fatal_reason = buf;
        break;
      }
      std::uint64_t suppressed = 0;
      if (im.error_log.allow(suppressed)) {
        spdlog::warn("Kafka consumer error. source={} code={} reason=\"{}\" suppressed={}", im.cfg.name,
                     rd_kafka_err2name(m->err), rd_kafka_message_errstr(m.get()), suppressed);
      }
      continue;
    }
    if (n == 0) im.set_health(true, {});
    im.handle(m.get(), im.clock.now_ms());
    ++n;
  }
  im.flush_expired(im.clock.now_ms());
  if (fatal) {
    im.fatal_errors->inc();
    spdlog::error("Kafka consumer fatal error; destroying it and creating a new one. source={} reason=\"{}\"",
                  im.cfg.name, fatal_reason);
    im.set_health(false, "kafka fatal error: " + fatal_reason);
    im.discard_after_fatal();
    return make_error(ErrorCode::unavailable, "Kafka source '" + im.cfg.name + "': fatal error: " + fatal_reason);
  }
  return im.collect();
}

Result<void> KafkaSource::commit(const Batch& stored) {
  auto& im = *impl_;
  if (!im.rk) return ok();
  std::map<TopicPartition, std::int64_t> durable;
  for (const auto& p : stored.positions) {
    if (p.source != im.cfg.name) continue;
    auto tp = parse_position_key(p.key);
    auto pos = decode_position(p.value);
    if (!tp || !pos) continue;
    durable[*tp] = pos->seek_offset();
  }
  std::set<TopicPartition> assigned;
  for (const auto& [tp, p] : im.parts) assigned.insert(tp);
  const auto todo = offsets_to_commit(durable, assigned, im.last_committed);
  if (todo.empty()) return ok();
  detail::PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(todo.size())));
  for (const auto& [tp, off] : todo) rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = off;
  const auto e = rd_kafka_offsets_store(im.rk.get(), list.get());
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__STATE) {
    return make_error(ErrorCode::unavailable, std::string("Kafka offsets_store: ") + rd_kafka_err2str(e));
  }
  return ok();
}

Batch KafkaSource::drain() {
  // Open multiline events are NOT flushed: the positions keep their first lines pending, so the next
  // owner (or the next start) stitches them whole instead of cutting a stack trace in two.
  return impl_->collect();
}

SourceHealth KafkaSource::health() const {
  std::lock_guard lock(impl_->health_mu);
  return impl_->health;
}

void KafkaSource::close() {
  auto& im = *impl_;
  im.replace_pending = false;  // a consumer lost to a fatal error is not created again
  if (!im.rk || im.closed) return;
  im.closed = true;
  if (auto e = rd_kafka_consumer_close(im.rk.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::warn("Kafka consumer close failed. source={} error={}", im.cfg.name, rd_kafka_err2name(e));
  }
  im.rk.reset();
  im.drop_all();
}

void KafkaSource::set_before_revoke(std::function<bool()> fn) { impl_->before_revoke = std::move(fn); }

void KafkaSource::inject_fatal_error(const std::string& reason) {
  if (impl_->rk) rd_kafka_test_fatal_error(impl_->rk.get(), RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID, reason.c_str());
}

void KafkaSource::abandon() {
  auto& im = *impl_;
  if (!im.rk) return;
  rd_kafka_destroy_flags(im.rk.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  im.closed = true;
  im.drop_all();
}

std::vector<kafka::TopicPartition> KafkaSource::assignment() const {
  std::lock_guard lock(impl_->health_mu);
  return impl_->assignment_snapshot;
}

}  // namespace selfheal::ingest
