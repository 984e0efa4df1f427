// The source contract (ingest/README.md "The contract every source follows"), run case by case
// against every source with its real peer:
//   kafka      librdkafka's mock cluster, records from an rdkafka producer (JSON, as shippers write)
//   loki_pull  a local HTTP server speaking query_range (tests/support/loki_query_server.hpp)
//   file       files appended to on disk
//   loki_push  POST /loki/api/v1/push through cpp-httplib into ingest::LokiPushEndpoint
//   otlp       POST /v1/logs (OTLP protobuf, one resource per stream) into ingest::OtlpEndpoint
//   syslog     RFC 5424 octet-counted messages over a TCP socket into ingest::SyslogServer
// Every source delivers into the same sink: batches are committed to a real SQLite store by a
// flusher thread (as app::Pipeline does), so positions resume from what the store holds.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "ingest/file_source.hpp"
#include "ingest/kafka_source.hpp"
#include "ingest/loki_pull.hpp"
#include "ingest/loki_push_http.hpp"
#include "ingest/otlp_http.hpp"
#include "ingest/runner.hpp"
#include "ingest/syslog_server.hpp"
#include "schema/clock.hpp"
#include "schema/metrics.hpp"
#include "schema/sqlite_db.hpp"
#include "schema/sqlite_store.hpp"
#include "schema/write_batch.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/loki_query_server.hpp"
#include "tests/support/otlp_encode.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;

namespace {

// ---------------------------------------------------------------------------------------------
// The sink: a real store, committed by a flusher thread; pause() holds commits back.

class StoreSink final : public ingest::EventSink {
 public:
  explicit StoreSink(SqliteStore& store) : store_(store), thread_([this] { loop(); }) {}
  ~StoreSink() override {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  Result<Ticket> submit(ingest::Batch&& b) override {
    std::lock_guard lock(mu_);
    for (auto& e : b.events) {
      pending_.count(e, false);
      pending_events_.push_back(std::move(e));
    }
    for (auto& p : b.positions) pending_.set_position(std::move(p));
    for (auto& d : b.dead_letters) pending_.add_dead_letter(std::move(d));
    pending_ticket_ = ++next_;
    cv_.notify_all();
    return pending_ticket_;
  }
  Result<void> wait_durable(Ticket t, std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return durable_ >= t; })) return make_error(ErrorCode::overloaded, "not durable yet");
    return ok();
  }
  Ticket durable_ticket() const override {
    std::lock_guard lock(mu_);
    return durable_;
  }

  void pause(bool on) {
    {
      std::lock_guard lock(mu_);
      paused_ = on;
    }
    cv_.notify_all();
  }
  /// Events that became durable, in commit order.
  std::vector<LogEvent> events() const {
    std::lock_guard lock(mu_);
    return durable_events_;
  }
  std::size_t event_count() const {
    std::lock_guard lock(mu_);
    return durable_events_.size();
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    while (!done_) {
      cv_.wait_for(lock, 5ms, [&] { return done_ || (!paused_ && !pending_.empty()); });
      if (done_ || paused_ || pending_.empty()) continue;
      WriteBatch b = std::move(pending_);
      pending_ = WriteBatch{};
      auto events = std::move(pending_events_);
      pending_events_.clear();
      const Ticket t = pending_ticket_;
      lock.unlock();
      auto r = store_.commit(b);
      lock.lock();
      if (!r) {  // never on a healthy disk; the waiting test times out and says so
        commit_errors_.push_back(r.error().message);
        continue;
      }
      for (auto& e : events) durable_events_.push_back(std::move(e));
      durable_ = t;
      cv_.notify_all();
    }
  }

  SqliteStore& store_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  WriteBatch pending_;
  std::vector<LogEvent> pending_events_;
  std::vector<LogEvent> durable_events_;
  Ticket next_ = 0;
  Ticket pending_ticket_ = 0;
  Ticket durable_ = 0;
  std::vector<std::string> commit_errors_;
  bool paused_ = false;
  bool done_ = false;
  std::thread thread_;
};

/// Forwards to a pull source and counts commit() calls: the peer hears of a batch only after it is durable.
class CommitSpy final : public ingest::PullSource {
 public:
  CommitSpy(std::unique_ptr<ingest::PullSource> inner, std::atomic<int>& commits) : inner_(std::move(inner)), commits_(commits) {}
  std::string_view name() const override { return inner_->name(); }
  Result<void> start(const std::vector<SourcePosition>& stored) override { return inner_->start(stored); }
  Result<ingest::Batch> poll(std::chrono::milliseconds max_wait) override { return inner_->poll(max_wait); }
  Result<void> commit(const ingest::Batch& stored) override {
    ++commits_;
    return inner_->commit(stored);
  }
  ingest::Batch drain() override { return inner_->drain(); }
  ingest::SourceHealth health() const override { return inner_->health(); }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<ingest::PullSource> inner_;
  std::atomic<int>& commits_;
};

// ---------------------------------------------------------------------------------------------
// One harness per source: how to write to its peer, how to run it, what it promises.

struct Line {
  std::string stream;  // "a" or "b": a Kafka key, a Loki stream, a file
  std::string text;
};

ingest::StitchLimits quick_stitch() {
  ingest::StitchLimits s;
  s.max_wait_ms = 200;
  return s;
}

class Harness {
 public:
  /// Metrics go to `shared` when given (several sources in one registry, as in `selfheal serve`).
  explicit Harness(Metrics* shared = nullptr) : metrics(shared ? *shared : own_metrics_) {}
  virtual ~Harness() = default;
  virtual std::string name() const = 0;
  /// Writes lines to the peer, in order (one entry/record/line each). Push sources need start() first.
  virtual void write(const std::vector<Line>& lines) = 0;
  /// Writes one malformed input; returns the reason code its dead letter starts with.
  virtual std::string write_malformed() = 0;
  virtual void start(StoreSink& sink, SqliteStore& store) = 0;
  /// Graceful stop; idempotent.
  virtual void stop() = 0;
  /// The stream an event came from.
  virtual std::string stream_of(const LogEvent& e) const { return std::string(label(e.labels, "app")); }
  /// Pull sources can be written to while stopped and catch up; a push client waits for the server.
  virtual bool pull() const { return true; }
  /// Times the source told its peer a batch was done (pull sources; 0 for push).
  int commits() const { return commits_.load(); }
  /// Push: what the last write was answered (0 for pull sources).
  virtual int last_status() const { return 0; }
  /// Push sources that answer each write (HTTP): the answer waits for durability.
  virtual bool answers() const { return !pull(); }

 private:
  Metrics own_metrics_;

 public:
  Metrics& metrics;
  SystemClock clock;

 protected:
  std::atomic<int> commits_{0};
};

/// Shared by the pull sources: a SourceRunner around a fresh source per start.
class PullHarness : public Harness {
 public:
  using Harness::Harness;
  void start(StoreSink& sink, SqliteStore& store) override {
    runner_.reset();
    ingest::RunnerOptions o;
    o.poll_max_wait = 20ms;
    o.durable_timeout = 3s;
    auto src = make_source(store);
    auto* raw = src.get();
    runner_ = std::make_unique<ingest::SourceRunner>(std::make_unique<CommitSpy>(std::move(src), commits_), sink, store,
                                                     metrics, o);
    after_make(*raw, *runner_);
    REQUIRE(runner_->start());
  }
  void stop() override {
    if (runner_) runner_->stop();
  }

 protected:
  virtual std::unique_ptr<ingest::PullSource> make_source(SqliteStore& store) = 0;
  virtual void after_make(ingest::PullSource&, ingest::SourceRunner&) {}
  std::unique_ptr<ingest::SourceRunner> runner_;
};

class KafkaHarness final : public PullHarness {
 public:
  explicit KafkaHarness(Metrics* shared) : PullHarness(shared) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    REQUIRE(owner_ != nullptr);
    mc_ = rd_kafka_mock_cluster_new(owner_, 1);
    REQUIRE(mc_ != nullptr);
    REQUIRE(rd_kafka_mock_topic_create(mc_, "logs", 2, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
    bootstraps_ = rd_kafka_mock_cluster_bootstraps(mc_);
    rd_kafka_conf_t* pconf = rd_kafka_conf_new();
    rd_kafka_conf_set(pconf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
    rd_kafka_conf_set(pconf, "linger.ms", "1", err, sizeof err);
    rd_kafka_conf_set(pconf, "log_level", "3", err, sizeof err);
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, err, sizeof err);
    REQUIRE(producer_ != nullptr);
  }
  ~KafkaHarness() override {
    stop();
    runner_.reset();
    rd_kafka_destroy(producer_);
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(owner_);
  }
  std::string name() const override { return "kafka"; }
  void write(const std::vector<Line>& lines) override {
    for (const auto& l : lines) produce(l.stream == "a" ? 0 : 1, l.stream, nlohmann::json{{"message", l.text}, {"app", l.stream}}.dump());
    REQUIRE(rd_kafka_flush(producer_, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  std::string write_malformed() override {
    produce(0, "a", "{\"message\": \"cut off");
    REQUIRE(rd_kafka_flush(producer_, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR);
    return "bad_json";
  }

 private:
  void produce(int partition, const std::string& key, const std::string& value) {
    auto e = rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC("logs"), RD_KAFKA_V_PARTITION(partition),
                               RD_KAFKA_V_KEY(key.data(), key.size()),
                               RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    REQUIRE(e == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  std::unique_ptr<ingest::PullSource> make_source(SqliteStore& store) override {
    ingest::KafkaConfig c;
    c.name = "kafka";
    c.brokers = bootstraps_;
    c.group_id = "contract";
    c.topics = {"logs"};
    c.format = "json";
    c.session_timeout_ms = 6000;
    c.heartbeat_interval_ms = 500;
    c.auto_commit_interval_ms = 100;
    c.drain_timeout_ms = 3000;
    c.poll_timeout_ms = 20;
    c.properties = {{"log_level", "3"}, {"topic.metadata.refresh.interval.ms", "1000"}};
    return std::make_unique<ingest::KafkaSource>(c, store, metrics, clock, quick_stitch());
  }
  void after_make(ingest::PullSource& src, ingest::SourceRunner& runner) override {
    static_cast<ingest::KafkaSource&>(src).set_before_revoke([r = &runner] { return r->settle(); });
  }

  rd_kafka_t* owner_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
  rd_kafka_t* producer_ = nullptr;
  std::string bootstraps_;
};

class LokiPullHarness final : public PullHarness {
 public:
  using PullHarness::PullHarness;
  ~LokiPullHarness() override { stop(); }
  std::string name() const override { return "loki_pull"; }
  void write(const std::vector<Line>& lines) override {
    for (const auto& l : lines) loki_.add({{{"app", l.stream}}, next_ts(), l.text});
  }
  std::string write_malformed() override {
    // A 200 that is not a query_range result (e.g. a proxy's login page).
    loki_.script_next({200, "<html><body>Sign in</body></html>", "text/html", ""});
    return "bad_response";
  }

 private:
  std::int64_t next_ts() { return t0_ns_ + (++seq_) * 1000; }
  std::unique_ptr<ingest::PullSource> make_source(SqliteStore&) override {
    ingest::LokiPullConfig c;
    c.name = "loki_pull";
    c.url = loki_.url();
    c.query = R"({app=~".+"})";
    c.limit = 1000;
    c.poll_interval_ms = 20;
    c.settle_lag_ms = 0;
    c.backoff_min_ms = 20;
    c.backoff_max_ms = 200;
    c.timeout_ms = 2000;
    return std::make_unique<ingest::LokiPullSource>(c, clock, metrics, quick_stitch());
  }

  test::LokiQueryServer loki_;
  const std::int64_t t0_ns_ = (clock.now_ms() - 600'000) * 1'000'000;  // ten minutes ago, 1 us apart
  std::int64_t seq_ = 0;
};

class FileHarness final : public PullHarness {
 public:
  using PullHarness::PullHarness;
  ~FileHarness() override { stop(); }
  std::string name() const override { return "file"; }
  void write(const std::vector<Line>& lines) override {
    std::map<std::string, std::string> by_file;
    for (const auto& l : lines) by_file[l.stream] += l.text + "\n";
    for (const auto& [stream, text] : by_file) append(stream, text);
  }
  std::string write_malformed() override {
    append("a", std::string("binary\0\0\0garbage\n", 17));
    return "binary_line";
  }
  std::string stream_of(const LogEvent& e) const override {
    const std::string f(label(e.labels, "filename"));
    const auto slash = f.rfind('/');
    return f.substr(slash + 1, f.size() - slash - 1 - 4);  // ".../a.log" -> "a"
  }

 private:
  void append(const std::string& stream, const std::string& text) {
    std::FILE* f = std::fopen(dir_.file(stream + ".log").c_str(), "ab");
    REQUIRE(f != nullptr);
    REQUIRE(std::fwrite(text.data(), 1, text.size(), f) == text.size());
    std::fclose(f);
  }
  std::unique_ptr<ingest::PullSource> make_source(SqliteStore&) override {
    ingest::FileConfig c;
    c.name = "file";
    c.paths = {dir_.file("*.log")};
    c.poll_interval_ms = 10;
    c.glob_interval_ms = 0;
    return std::make_unique<ingest::FileSource>(c, clock, metrics, quick_stitch());
  }
  test::TempDir dir_;
};

class LokiPushHarness final : public Harness {
 public:
  using Harness::Harness;
  ~LokiPushHarness() override { stop(); }
  std::string name() const override { return "loki_push"; }
  bool pull() const override { return false; }
  int last_status() const override { return last_status_; }
  void start(StoreSink& sink, SqliteStore&) override {
    ingest::LokiPushOptions o;
    o.config.durable_timeout_ms = 300;
    o.stitch = quick_stitch();
    endpoint_ = std::make_shared<ingest::LokiPushEndpoint>(o, clock, sink, metrics, 64u << 20);
    http_ = std::make_unique<test::LocalHttpServer>();
    ingest::LokiPushEndpoint::mount(http_->server(), endpoint_);
    http_->start();
  }
  void stop() override {
    if (http_) http_->stop();
  }
  void write(const std::vector<Line>& lines) override {
    // One request, streams in first-seen order, entries in line order (as Promtail batches).
    nlohmann::json streams = nlohmann::json::array();
    std::map<std::string, std::size_t> index;
    for (const auto& l : lines) {
      auto it = index.find(l.stream);
      if (it == index.end()) {
        it = index.emplace(l.stream, streams.size()).first;
        streams.push_back({{"stream", {{"app", l.stream}}}, {"values", nlohmann::json::array()}});
      }
      streams[it->second]["values"].push_back({std::to_string((++seq_) * 1000 + t0_ns_), l.text});
    }
    post(nlohmann::json{{"streams", streams}}.dump());
  }
  std::string write_malformed() override {
    post("{\"streams\": [ {\"stream\": ");
    return "bad_json";
  }

 private:
  void post(const std::string& body) {
    REQUIRE(http_);
    httplib::Client cli("127.0.0.1", http_->port());
    cli.set_read_timeout(10, 0);
    auto res = cli.Post("/loki/api/v1/push", body, "application/json");
    last_status_ = res ? res->status : 0;
  }
  std::shared_ptr<ingest::LokiPushEndpoint> endpoint_;
  std::unique_ptr<test::LocalHttpServer> http_;
  const std::int64_t t0_ns_ = clock.now_ms() * 1'000'000;
  std::int64_t seq_ = 0;
  int last_status_ = 0;
};

// OTLP: a stream is a resource (attribute app=<stream>); one request per write, records in order.
class OtlpHarness final : public Harness {
 public:
  using Harness::Harness;
  ~OtlpHarness() override { stop(); }
  std::string name() const override { return "otlp"; }
  bool pull() const override { return false; }
  int last_status() const override { return last_status_; }
  void start(StoreSink& sink, SqliteStore&) override {
    ingest::OtlpOptions o;
    o.config.durable_timeout_ms = 300;
    o.stitch = quick_stitch();
    endpoint_ = std::make_shared<ingest::OtlpEndpoint>(o, clock, sink, metrics, 64u << 20);
    http_ = std::make_unique<test::LocalHttpServer>();
    ingest::OtlpEndpoint::mount(http_->server(), endpoint_);
    http_->start();
  }
  void stop() override {
    if (http_) http_->stop();
  }
  void write(const std::vector<Line>& lines) override {
    namespace otlp = test::otlp;
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::string>> records;
    for (const auto& l : lines) {
      if (!records.count(l.stream)) order.push_back(l.stream);
      otlp::Record r;
      r.time_ns = static_cast<std::uint64_t>((++seq_) * 1000 + t0_ns_);
      r.body = otlp::str(l.text);
      records[l.stream].push_back(otlp::record(r));
    }
    std::vector<std::string> resources;
    for (const auto& s : order)
      resources.push_back(otlp::resource_logs({otlp::kv("app", otlp::str(s))}, {otlp::scope_logs("contract", records[s])}));
    post(otlp::request(resources));
  }
  std::string write_malformed() override {
    post(std::string("\x0a\x05\x12\x03\x12\x09", 6));  // a length that runs past its message
    return "bad_protobuf";
  }

 private:
  void post(const std::string& body) {
    REQUIRE(http_);
    httplib::Client cli("127.0.0.1", http_->port());
    cli.set_read_timeout(10, 0);
    auto res = cli.Post("/v1/logs", body, "application/x-protobuf");
    last_status_ = res ? res->status : 0;
  }
  std::shared_ptr<ingest::OtlpEndpoint> endpoint_;
  std::unique_ptr<test::LocalHttpServer> http_;
  const std::int64_t t0_ns_ = clock.now_ms() * 1'000'000;
  std::int64_t seq_ = 0;
  int last_status_ = 0;
};

// ---- syslog: its own block (ingest/syslog_server.hpp) ----
/// Each line is an RFC 5424 message, APP-NAME = the stream, octet-counted over one TCP connection per
/// write. Syslog has no acknowledgement (answers() is false): what was read is submitted.
class SyslogHarness final : public Harness {
 public:
  using Harness::Harness;
  ~SyslogHarness() override { stop(); }
  std::string name() const override { return "syslog"; }
  bool pull() const override { return false; }
  bool answers() const override { return false; }
  void start(StoreSink& sink, SqliteStore&) override {
    ingest::SyslogConfig c;
    c.tcp_host = "127.0.0.1";
    c.tcp_port = 0;
    server_ = std::make_unique<ingest::SyslogServer>(c, clock, sink, metrics, quick_stitch());
    REQUIRE(server_->start());
  }
  void stop() override {
    if (server_) server_->stop();
  }
  void write(const std::vector<Line>& lines) override {
    std::string bytes;
    for (const auto& l : lines) frame(bytes, "<14>1 - host-1 " + l.stream + " - - - " + l.text);
    send(bytes);
  }
  std::string write_malformed() override {
    std::string bytes;
    frame(bytes, "<14>7 - host-1 a - - - version 7 does not exist");
    send(bytes);
    return "bad_version";
  }

 private:
  static void frame(std::string& out, const std::string& m) { out += std::to_string(m.size()) + " " + m; }
  void send(const std::string& bytes) {
    REQUIRE(server_);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(server_->tcp_port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    for (std::size_t off = 0; off < bytes.size();) {
      const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      REQUIRE(n > 0);
      off += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }
  std::unique_ptr<ingest::SyslogServer> server_;
};

/// A store, a sink and one source under test.
struct Rig {
  explicit Rig(std::unique_ptr<Harness> h)
      : db(SqliteDb::open({dir.file("s.db")})), store(open_store()), sink(*store), harness(std::move(h)) {}
  ~Rig() { harness->stop(); }
  std::unique_ptr<SqliteStore> open_store() {
    REQUIRE(db);
    return std::make_unique<SqliteStore>(*db, clock);
  }
  void start() { harness->start(sink, *store); }
  std::vector<LogEvent> events_of(const std::string& stream) const {
    std::vector<LogEvent> out;
    for (auto& e : sink.events())
      if (harness->stream_of(e) == stream) out.push_back(e);
    return out;
  }
  std::vector<DeadLetter> dead_letters() {
    auto d = store->dead_letters(DeadLetterQuery{0, 100, harness->name()});
    REQUIRE(d);
    return *d;
  }
  bool wait_events(std::size_t n, std::chrono::milliseconds timeout = 30s) {
    return test::wait_until([&] { return sink.event_count() >= n; }, timeout);
  }
  std::uint64_t metric(const std::string& family) const {
    const std::string key = family + "{source=\"" + harness->name() + "\"} ";
    const std::string text = harness->metrics.render();
    const auto at = text.find(key);
    if (at == std::string::npos) return UINT64_MAX;
    return std::stoull(text.substr(at + key.size()));
  }

  test::TempDir dir;
  SystemClock clock;
  Result<std::shared_ptr<SqliteDb>> db;
  std::unique_ptr<SqliteStore> store;
  StoreSink sink;
  std::unique_ptr<Harness> harness;
};

using Factory = std::function<std::unique_ptr<Harness>(Metrics*)>;
const std::vector<Factory>& all_sources() {
  static const std::vector<Factory> f = {
      [](Metrics* m) { return std::make_unique<KafkaHarness>(m); },
      [](Metrics* m) { return std::make_unique<LokiPullHarness>(m); },
      [](Metrics* m) { return std::make_unique<FileHarness>(m); },
      [](Metrics* m) { return std::make_unique<LokiPushHarness>(m); },
      [](Metrics* m) { return std::make_unique<OtlpHarness>(m); },
      [](Metrics* m) { return std::make_unique<SyslogHarness>(m); },
  };
  return f;
}

/// Runs `body` once per source, each with a fresh store and peer (metrics into `shared` if given).
void for_each_source(const std::function<void(Rig&)>& body, Metrics* shared = nullptr) {
  for (const auto& make : all_sources()) {
    Rig rig(make(shared));
    const std::string source = rig.harness->name();
    CAPTURE(source);
    body(rig);
  }
}

std::vector<Line> numbered(int from, int to) {  // "a 0", "b 1", "a 2"... interleaved over two streams
  std::vector<Line> out;
  for (int i = from; i < to; ++i) {
    const std::string s = i % 2 == 0 ? "a" : "b";
    out.push_back({s, "line " + s + " " + std::to_string(i)});
  }
  return out;
}

/// Every numbered line arrived exactly once, each stream in order.
void check_exactly_once_in_order(const Rig& rig, int from, int to) {
  for (const std::string s : {"a", "b"}) {
    CAPTURE(s);
    std::vector<std::string> want;
    for (const auto& l : numbered(from, to))
      if (l.stream == s) want.push_back(l.text);
    std::vector<std::string> got;
    for (const auto& e : rig.events_of(s)) got.push_back(e.message);
    CHECK(got == want);
  }
}

}  // namespace

TEST_CASE("source contract: every line is one event, counted exactly once, in order per stream") {
  for_each_source([](Rig& rig) {
    rig.start();
    rig.harness->write(numbered(0, 120));
    REQUIRE(rig.wait_events(120));
    rig.harness->stop();
    CHECK(rig.sink.event_count() == 120);
    check_exactly_once_in_order(rig, 0, 120);
    CHECK(rig.metric("selfheal_source_events_received_total") == 120);
    CHECK(rig.metric("selfheal_source_events_accepted_total") == 120);
    CHECK(rig.metric("selfheal_source_dead_letters_total") == 0);
    CHECK(rig.metric("selfheal_source_bytes_received_total") > 0);
  });
}

TEST_CASE("source contract: a stack trace sent one line per entry is one event and the line after it another") {
  const std::vector<Line> trace = {
      {"a", "java.lang.IllegalStateException: cart is closed"},
      {"a", "\tat com.acme.shop.Cart.add(Cart.java:42)"},
      {"a", "\tat com.acme.shop.Api.handle(Api.java:7)"},
      {"a", "Caused by: java.io.IOException: disk full"},
      {"a", "\t... 2 more"},
      {"a", "request served in 3 ms"},
  };
  for_each_source([&](Rig& rig) {
    rig.start();
    rig.harness->write(trace);
    REQUIRE(rig.wait_events(2));
    rig.harness->stop();
    const auto got = rig.events_of("a");
    REQUIRE(got.size() == 2);
    CHECK(got[0].lines == 5);
    CHECK(got[0].message ==
          "java.lang.IllegalStateException: cart is closed\n\tat com.acme.shop.Cart.add(Cart.java:42)\n"
          "\tat com.acme.shop.Api.handle(Api.java:7)\nCaused by: java.io.IOException: disk full\n\t... 2 more");
    CHECK(got[1].message == "request served in 3 ms");
    CHECK(got[1].lines == 1);
  });
}

TEST_CASE("source contract: structured lines give the same message, level, service and labels on every source") {
  for_each_source([](Rig& rig) {
    rig.start();
    rig.harness->write({{"b", R"({"level":"error","service":"checkout","msg":"payment failed for order 7","order":"7"})"},
                        {"b", "level=warn msg=\"slow query\" service=db"}});
    REQUIRE(rig.wait_events(2));
    rig.harness->stop();
    const auto got = rig.events_of("b");
    REQUIRE(got.size() == 2);
    CHECK(got[0].message == "payment failed for order 7");
    CHECK(got[0].service == "checkout");
    REQUIRE(got[0].level.has_value());
    CHECK(*got[0].level == Severity::error);
    CHECK(label(got[0].labels, "order") == "7");
    CHECK(got[0].source == rig.harness->name());
    CHECK(got[1].message == "slow query");
    CHECK(got[1].service == "db");
    REQUIRE(got[1].level.has_value());
    CHECK(*got[1].level == Severity::warning);
  });
}

TEST_CASE("source contract: malformed input becomes one counted dead letter with a reason while good input around it counts") {
  for_each_source([](Rig& rig) {
    rig.start();
    rig.harness->write(numbered(0, 4));
    REQUIRE(rig.wait_events(4));
    const std::string code = rig.harness->write_malformed();
    rig.harness->write(numbered(4, 8));
    REQUIRE(rig.wait_events(8));
    REQUIRE(test::wait_until([&] { return !rig.dead_letters().empty(); }));
    rig.harness->stop();
    const auto dead = rig.dead_letters();
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].reason.rfind(code + ": ", 0) == 0);
    CHECK(dead[0].source == rig.harness->name());
    CHECK_FALSE(dead[0].payload.empty());
    CHECK(rig.metric("selfheal_source_dead_letters_total") == 1);
    check_exactly_once_in_order(rig, 0, 8);
  });
}

TEST_CASE("source contract: a restart resumes without loss or duplicates") {
  for_each_source([](Rig& rig) {
    rig.start();
    rig.harness->write(numbered(0, 50));
    REQUIRE(rig.wait_events(50));
    rig.harness->stop();
    // A pull source's peer keeps what is written while we are down; a push client waits for us.
    if (rig.harness->pull()) rig.harness->write(numbered(50, 100));
    rig.start();
    if (!rig.harness->pull()) rig.harness->write(numbered(50, 100));
    REQUIRE(rig.wait_events(100));
    std::this_thread::sleep_for(300ms);  // a duplicate would arrive within a few polls
    rig.harness->stop();
    CHECK(rig.sink.event_count() == 100);
    check_exactly_once_in_order(rig, 0, 100);
  });
}

TEST_CASE("source contract: nothing is acknowledged to the peer before it is durable") {
  for_each_source([](Rig& rig) {
    rig.start();
    // First the source is consuming (a Kafka group has joined, a file is open), then the store stalls.
    rig.harness->write(numbered(0, 2));
    REQUIRE(rig.wait_events(2));
    rig.sink.pause(true);
    std::this_thread::sleep_for(200ms);  // what was durable before the pause is committed within a poll
    const int before = rig.harness->commits();
    rig.harness->write(numbered(2, 12));
    std::this_thread::sleep_for(500ms);
    CHECK(rig.sink.event_count() == 2);
    CHECK(rig.harness->commits() == before);  // no Kafka commit, no position handed back
    if (rig.harness->answers()) CHECK(rig.harness->last_status() == 503);  // never 204 before durable
    rig.sink.pause(false);
    REQUIRE(rig.wait_events(12));
    if (rig.harness->pull()) CHECK(test::wait_until([&] { return rig.harness->commits() > before; }));
    rig.harness->stop();
    check_exactly_once_in_order(rig, 0, 12);
  });
}

TEST_CASE("source contract: stop is prompt and idempotent") {
  for_each_source([](Rig& rig) {
    rig.start();
    rig.harness->write(numbered(0, 10));
    REQUIRE(rig.wait_events(10));
    const auto t0 = std::chrono::steady_clock::now();
    rig.harness->stop();
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
    rig.harness->stop();
    CHECK(rig.sink.event_count() == 10);
  });
}

TEST_CASE("source contract: push and pull sources show one selfheal_source_* family, and promtool accepts it") {
  Metrics shared;  // every source in one registry, as in `selfheal serve`
  for_each_source(
      [](Rig& rig) {
        rig.start();
        rig.harness->write(numbered(0, 6));
        REQUIRE(rig.wait_events(6));
        rig.harness->stop();
        CHECK(rig.metric("selfheal_source_events_accepted_total") == 6);
      },
      &shared);
  const std::string text = shared.render();
  std::map<std::string, std::vector<std::string>> names;  // source -> the common names it shows
  for (const std::string source : {"kafka", "loki_pull", "file", "loki_push", "otlp", "syslog"}) {
    for (const std::string family : {"selfheal_source_events_received_total", "selfheal_source_events_accepted_total",
                                     "selfheal_source_dead_letters_total", "selfheal_source_bytes_received_total"}) {
      if (text.find(family + "{source=\"" + source + "\"} ") != std::string::npos) names[source].push_back(family);
    }
  }
  for (const auto& entry : names) {
    CAPTURE(entry.first);
    CHECK(entry.second.size() == 4);
  }
  CHECK(names.size() == all_sources().size());
  CHECK(text.find("selfheal_ingest_") == std::string::npos);  // the old push family is gone
  auto r = test::run({"/usr/bin/promtool", "check", "metrics"}, text);
  const std::string promtool_said = r.out + r.err;
  CHECK_MESSAGE(r.exit_code == 0, promtool_said);
}
