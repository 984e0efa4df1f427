#include "ingest/loki_pull.hpp"

#include <httplib.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "fingerprint/stitcher.hpp"
#include "ingest/detail/loki_decode.hpp"
#include "ingest/event_fields.hpp"
#include "ingest/source_metrics.hpp"
#include "schema/log.hpp"

namespace selfheal::ingest {
namespace {

std::uint64_t hash_entry(const Labels& labels, std::int64_t ts, std::string_view line, std::uint32_t occurrence) {
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  for (const auto& [k, v] : labels) {
    XXH3_64bits_update(st, k.data(), k.size());
    XXH3_64bits_update(st, "\x01", 1);
    XXH3_64bits_update(st, v.data(), v.size());
    XXH3_64bits_update(st, "\x02", 1);
  }
  XXH3_64bits_update(st, &ts, sizeof ts);
  XXH3_64bits_update(st, &occurrence, sizeof occurrence);
  XXH3_64bits_update(st, line.data(), line.size());
  std::uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

bool entry_less(const PulledEntry& a, const PulledEntry& b) {
  if (a.ts_ns != b.ts_ns) return a.ts_ns < b.ts_ns;
  if (a.labels != b.labels) return a.labels < b.labels;
  return a.line < b.line;
}

}  // namespace

std::string PullCursor::encode() const {
  std::string out = std::to_string(ts_ns) + ";";
  char buf[17];
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (i) out += ',';
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(seen[i]));
    out += buf;
  }
  return out;
}

std::optional<PullCursor> PullCursor::decode(std::string_view text) {
  auto semi = text.find(';');
  if (semi == std::string_view::npos || semi == 0) return std::nullopt;
  PullCursor c;
  std::string ts(text.substr(0, semi));
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(ts.c_str(), &end, 10);
  if (errno != 0 || end != ts.c_str() + ts.size()) return std::nullopt;
  c.ts_ns = v;
  std::string_view rest = text.substr(semi + 1);
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string h(rest.substr(0, comma));
    if (h.empty() || h.size() > 16) return std::nullopt;
    char* hend = nullptr;
    unsigned long long x = std::strtoull(h.c_str(), &hend, 16);
    if (hend != h.c_str() + h.size()) return std::nullopt;
    c.seen.push_back(x);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  std::sort(c.seen.begin(), c.seen.end());
  return c;
}

std::string query_range_target(std::string_view path_prefix, std::string_view query, std::int64_t start_ns,
                               std::int64_t end_ns, std::int64_t limit) {
  std::string prefix(path_prefix);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return prefix + "/loki/api/v1/query_range?query=" + httplib::detail::encode_query_param(std::string(query)) +
         "&start=" + std::to_string(start_ns) + "&end=" + std::to_string(end_ns) + "&limit=" + std::to_string(limit) +
         "&direction=forward";
}

Result<std::vector<PulledEntry>> parse_query_range(std::string_view body) {
  using nlohmann::json;
  json doc;
  try {
    doc = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    return make_error(ErrorCode::bad_input, std::string("query_range answer is not JSON: ") + e.what());
  }
  std::vector<PulledEntry> out;
  try {
    if (!doc.is_object() || doc.value("status", "") != "success" || !doc.contains("data"))
      return make_error(ErrorCode::bad_input, "query_range answer without status success and data");
    const json& data = doc["data"];
    const std::string type = data.value("resultType", "");
    if (type != "streams")
      return make_error(ErrorCode::config, "query_range returned resultType '" + type + "': the query must be a log query");
    const json result = data.value("result", json::array());
    for (const auto& s : result) {
      Labels labels;
      const json stream = s.value("stream", json::object());
      for (const auto& [k, v] : stream.items())
        if (v.is_string()) labels.emplace_back(k, v.get<std::string>());
      std::sort(labels.begin(), labels.end());
      const json values = s.value("values", json::array());
      for (const auto& v : values) {
        if (!v.is_array() || v.size() < 2 || !v[0].is_string() || !v[1].is_string())
          return make_error(ErrorCode::bad_input, "query_range value is not [\"<ns>\", \"<line>\"]");
        const auto& ts = v[0].get_ref<const std::string&>();
        char* end = nullptr;
        errno = 0;
        long long ns = std::strtoll(ts.c_str(), &end, 10);
        if (errno != 0 || ts.empty() || end != ts.c_str() + ts.size())
          return make_error(ErrorCode::bad_input, "query_range timestamp '" + ts.substr(0, 32) + "' is not ns");
        out.push_back({labels, ns, v[1].get<std::string>(), 0});
      }
    }
  } catch (const json::exception& e) {
    return make_error(ErrorCode::bad_input, std::string("unexpected query_range shape: ") + e.what());
  }
  std::sort(out.begin(), out.end(), entry_less);
  std::uint32_t occurrence = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const bool same = i > 0 && out[i].ts_ns == out[i - 1].ts_ns && out[i].labels == out[i - 1].labels &&
                      out[i].line == out[i - 1].line;
    occurrence = same ? occurrence + 1 : 0;
    out[i].key = hash_entry(out[i].labels, out[i].ts_ns, out[i].line, occurrence);
  }
  return out;
}

PageStep advance(const PullCursor& cursor, std::vector<PulledEntry> page, std::size_t limit) {
  PageStep step;
  step.full = limit > 0 && page.size() >= limit;
  step.next = cursor;
  for (auto& e : page) {
    if (e.ts_ns < cursor.ts_ns) continue;  // before the window: Loki should not send it
    if (e.ts_ns == cursor.ts_ns && std::binary_search(cursor.seen.begin(), cursor.seen.end(), e.key)) continue;
    if (e.ts_ns > step.next.ts_ns) {
      step.next.ts_ns = e.ts_ns;
      step.next.seen.clear();
    }
    if (e.ts_ns == step.next.ts_ns) step.next.seen.push_back(e.key);
    step.fresh.push_back(std::move(e));
  }
  std::sort(step.next.seen.begin(), step.next.seen.end());
  step.next.seen.erase(std::unique(step.next.seen.begin(), step.next.seen.end()), step.next.seen.end());
  step.stuck = step.full && step.fresh.empty();
  return step;
}

std::chrono::milliseconds retry_delay(std::string_view retry_after, std::chrono::milliseconds backoff,
                                      std::chrono::milliseconds max, UnixMs now) {
  const std::chrono::milliseconds d = parse_retry_after(retry_after, now).value_or(backoff);
  return std::clamp(d, std::chrono::milliseconds(0), max);
}

// ---------------------------------------------------------------------------------------------

struct LokiPullSource::Http {
  std::unique_ptr<httplib::Client> client;
};

LokiPullSource::LokiPullSource(LokiPullConfig cfg, const Clock& clock, Metrics& metrics, StitchLimits stitch)
    : cfg_(std::move(cfg)),
      clock_(clock),
      stitch_(stitch),
      http_(std::make_unique<Http>()),
      backoff_(std::chrono::milliseconds(cfg_.backoff_min_ms), std::chrono::milliseconds(cfg_.backoff_max_ms), true),
      limit_(cfg_.limit) {
  bytes_ = &SourceMetrics(metrics, cfg_.name).bytes;
  auto req = [&](const char* outcome) {
    return &metrics.counter("selfheal_loki_pull_requests_total", "query_range requests by outcome.",
                            {{"source", cfg_.name}, {"outcome", outcome}});
  };
  requests_ok_ = req("ok");
  requests_retry_ = req("retry");
  requests_failed_ = req("failed");
}

LokiPullSource::~LokiPullSource() { close(); }

Result<void> LokiPullSource::start(const std::vector<SourcePosition>& stored) {
  // Split "http://host:port/prefix" into the client address and a path prefix.
  auto scheme_end = cfg_.url.find("://");
  if (scheme_end == std::string::npos) return make_error(ErrorCode::config, "loki_pull url needs http:// or https://");
  auto path_start = cfg_.url.find('/', scheme_end + 3);
  std::string address = cfg_.url.substr(0, path_start);
  path_prefix_ = path_start == std::string::npos ? "" : cfg_.url.substr(path_start);
  http_->client = std::make_unique<httplib::Client>(address);
  if (!http_->client->is_valid()) return make_error(ErrorCode::config, "loki_pull url '" + cfg_.url + "' is not usable");
  const auto timeout = std::chrono::milliseconds(cfg_.timeout_ms);
  http_->client->set_connection_timeout(timeout);
  http_->client->set_read_timeout(timeout);
  http_->client->set_keep_alive(true);
  // https: the certificate chain and host name are verified (ca_file, else the system's CAs).
  http_->client->enable_server_certificate_verification(true);
  if (!cfg_.ca_file.empty()) http_->client->set_ca_cert_path(cfg_.ca_file.c_str());
  if (!cfg_.bearer_token_env.empty()) {
    const char* t = std::getenv(cfg_.bearer_token_env.c_str());
    if (t == nullptr)
      return make_error(ErrorCode::config, "loki_pull '" + cfg_.name + "': environment variable " + cfg_.bearer_token_env + " is not set");
    bearer_ = t;
  }
  cursor_ = PullCursor{};
  bool found = false;
  for (const auto& p : stored) {
    if (p.key != "cursor") continue;
    auto c = PullCursor::decode(p.value);
    if (!c) return make_error(ErrorCode::internal, "stored loki_pull cursor '" + p.value.substr(0, 64) + "' is unreadable");
    cursor_ = *c;
    found = true;
  }
  if (!found) cursor_.ts_ns = (clock_.now_ms() - cfg_.start_lookback_ms) * 1'000'000;
  next_poll_ms_ = 0;
  return ok();
}

Result<Batch> LokiPullSource::poll(std::chrono::milliseconds max_wait) {
  if (!http_->client) return make_error(ErrorCode::internal, "loki_pull polled before start");
  const UnixMs now = clock_.now_ms();
  if (now < next_poll_ms_) {
    auto wait = std::min<std::int64_t>(max_wait.count(), next_poll_ms_ - now);
    if (wait > 0) std::this_thread::sleep_for(std::chrono::milliseconds(wait));  // poll's contract: block up to max_wait
    return Batch{};
  }
  return fetch_page();
}

Result<Batch> LokiPullSource::fetch_page() {
  const UnixMs now = clock_.now_ms();
  const std::int64_t end_ns = (now - cfg_.settle_lag_ms) * 1'000'000;
  if (end_ns <= cursor_.ts_ns) {  // nothing settled after the cursor yet
    next_poll_ms_ = now + cfg_.poll_interval_ms;
    return Batch{};
  }
  httplib::Headers headers;
  if (!cfg_.tenant.empty()) headers.emplace("X-Scope-OrgID", cfg_.tenant);
  if (!bearer_.empty()) headers.emplace("Authorization", "Bearer " + bearer_);
  const std::string target = query_range_target(path_prefix_, cfg_.query, cursor_.ts_ns, end_ns, limit_);
  auto res = http_->client->Get(target.c_str(), headers);

  auto fail = [&](ErrorCode code, const std::string& why, std::string_view retry_after) -> Result<Batch> {
    auto delay = retry_delay(retry_after, backoff_.next(), std::chrono::milliseconds(cfg_.backoff_max_ms), now);
    next_poll_ms_ = now + delay.count();
    set_health({false, why});
    return make_error(code, why);
  };
  if (!res) {
    requests_retry_->inc();
    return fail(ErrorCode::unavailable, "Loki unreachable: " + httplib::to_string(res.error()), {});
  }
  bytes_->inc(res->body.size());
  if (res->status == 429 || res->status >= 500) {
    requests_retry_->inc();
    return fail(ErrorCode::unavailable, "Loki answered " + std::to_string(res->status) + ": " + res->body.substr(0, 200),
                res->get_header_value("Retry-After"));
  }
  if (res->status != 200) {
    requests_failed_->inc();
    return fail(ErrorCode::permanent, "Loki answered " + std::to_string(res->status) + ": " + res->body.substr(0, 200), {});
  }
  auto page = parse_query_range(res->body);
  if (!page) {
    // A 200 that is not a query_range result (a proxy's login page, another API...): kept as a
    // dead letter; the cursor stays and the next try waits like any failure (so at most one dead
    // letter per backoff while the peer answers wrongly).
    requests_failed_->inc();
    const std::string why = "Loki answered 200 without a query_range result: " + page.error().message;
    next_poll_ms_ = now + retry_delay({}, backoff_.next(), std::chrono::milliseconds(cfg_.backoff_max_ms), now).count();
    set_health({false, why});
    Batch bad;
    DeadLetter& d = bad.dead_letters.emplace_back();
    d.ts = now;
    d.source = cfg_.name;
    d.reason = "bad_response: " + why;
    d.content_type = res->get_header_value("Content-Type");
    d.payload = res->body.substr(0, 64 * 1024);
    d.size = res->body.size();
    return bad;
  }
  requests_ok_->inc();
  backoff_.reset();
  set_health({});

  PageStep step = advance(cursor_, std::move(*page), static_cast<std::size_t>(limit_));
  if (step.stuck) {
    // Every entry of a full page shares the cursor timestamp: widen the page until it fits.
    if (limit_ >= 5000) {
      return fail(ErrorCode::permanent, "more than 5000 entries share one timestamp; narrow the selector", {});
    }
    limit_ = std::min<std::int64_t>(limit_ * 2, 5000);
    next_poll_ms_ = now;
    return Batch{};
  }
  if (!step.full) limit_ = cfg_.limit;
  next_poll_ms_ = step.full ? now : now + cfg_.poll_interval_ms;

  Batch batch;
  if (!step.fresh.empty()) {
    fingerprint::StitchOptions so;
    so.max_lines = cfg_.multiline ? stitch_.max_lines : 1;
    so.max_bytes = stitch_.max_bytes;
    so.entries = true;
    fingerprint::Stitcher stitcher(so);
    std::vector<fingerprint::StitchedEvent> ready;
    std::vector<std::pair<std::string, const Labels*>> streams;  // canonical -> labels
    auto labels_of = [&](const std::string& key) -> const Labels* {
      for (const auto& [k, l] : streams)
        if (k == key) return l;
      return nullptr;
    };
    auto emit = [&] {
      for (auto& ev : ready) {
        LogEvent& e = batch.events.emplace_back();
        e.ts = ev.ts_ms;
        e.message = std::move(ev.text);
        if (const Labels* l = labels_of(ev.stream)) e.labels = *l;
        e.source = cfg_.name;
        e.tenant = cfg_.tenant;
        e.lines = static_cast<std::uint32_t>(1 + std::count(e.message.begin(), e.message.end(), '\n'));
        e.truncated = ev.truncated;
        extract_fields(e);
      }
      ready.clear();
    };
    for (const auto& entry : step.fresh) {
      std::string key = detail::canonical_label_string(entry.labels);
      if (!labels_of(key)) streams.emplace_back(key, &entry.labels);
      std::string_view line = entry.line;
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
      // One entry is one event of its shipper (a Promtail multiline stage may have joined several
      // lines already): it goes to the stitcher whole, which glues entries only on trace shapes.
      stitcher.push(key, line, entry.ts_ns / 1'000'000, ready);
      emit();
    }
    stitcher.flush_all(ready);
    emit();
  }
  cursor_ = step.next;
  batch.positions.push_back({cfg_.name, "cursor", cursor_.encode()});
  return batch;
}

Result<void> LokiPullSource::commit(const Batch& stored) {
  (void)stored;  // the cursor is durable with the events; Loki has nothing to acknowledge
  return ok();
}

SourceHealth LokiPullSource::health() const {
  std::lock_guard lock(health_mu_);
  return health_;
}

void LokiPullSource::close() {
  if (http_ && http_->client) http_->client->stop();
}

}  // namespace selfheal::ingest
