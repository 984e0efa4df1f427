#include "app/fingerprint_views.hpp"

#include "app/fingerprinting.hpp"
#include "app/http_util.hpp"
#include "schema/time_format.hpp"

namespace selfheal::app {
namespace {
using nlohmann::json;

json names_json(const std::vector<NamedCount>& v) {
  json arr = json::array();
  for (const auto& n : v) arr.push_back({{"name", n.name}, {"count", n.count}});
  return arr;
}

json summary_json(const FingerprintSummary& s, std::int64_t total, const Trend& t, UnixMs now, const StatsConfig& cfg) {
  json j = {
      {"id", s.id},
      {"template", s.template_text},
      {"count", total},
      {"own_count", s.count},
      {"first_seen", format_rfc3339(s.first_seen)},
      {"last_seen", format_rfc3339(s.last_seen)},
      {"status", s.status},
      {"severity", s.severity},
      {"services", names_json(s.services)},
      {"hosts", names_json(s.hosts)},
      {"exception_type", s.exception_type},
      {"rate_per_min", t.rate_per_min},
      {"baseline_per_min", t.baseline_per_min},
      {"is_new", s.first_seen >= now - cfg.new_window_ms},
      {"regressed", s.regressed_at > 0 && s.status == "unresolved" && s.regressed_at >= now - cfg.regression_window_ms},
      {"escalating", t.escalating},
      {"forecast", nullptr},
  };
  if (s.regressed_at > 0) j["regressed_at"] = format_rfc3339(s.regressed_at);
  if (s.resolved_at > 0) j["resolved_at"] = format_rfc3339(s.resolved_at);
  if (!s.merged_into.empty()) j["merged_into"] = s.merged_into;
  // A forecast only with evidence (schema/trends.hpp); "above threshold" when the rate is there already.
  if (t.above_threshold || t.forecast_cross_at)
    j["forecast"] = {{"threshold_per_min", cfg.forecast_threshold_per_min},
                     {"above_threshold", t.above_threshold},
                     {"crosses_at", t.forecast_cross_at ? json(format_rfc3339(*t.forecast_cross_at)) : json(nullptr)},
                     {"slope_per_min", t.slope_per_min},
                     {"fit_r2", t.fit_r2}};
  return j;
}

/// Counts of the last `minutes` minutes up to `now`, zero-filled, oldest first.
json per_minute_counts(const std::vector<MinuteCount>& minutes, UnixMs now, int n) {
  std::map<UnixMs, std::int64_t> by_min;
  for (const auto& m : minutes) by_min[m.minute] += m.count;
  json out = json::array();
  for (int i = n - 1; i >= 0; --i) {
    auto it = by_min.find(minute_of(now) - i * 60'000LL);
    out.push_back(it == by_min.end() ? 0 : it->second);
  }
  return out;
}

}  // namespace

bool valid_fingerprint_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

TrendOptions trend_options(const StatsConfig& s) {
  TrendOptions o;
  static_cast<EscalationOptions&>(o) = escalation_options(s);  // shared with the healer
  return o;
}

Result<FingerprintQuery> parse_list_params(const std::multimap<std::string, std::string>& params, UnixMs now) {
  FingerprintQuery q;
  q.now = now;
  QueryParams p(params);
  p.only({"service", "status", "severity", "since", "q", "sort", "limit", "cursor", "include_merged"});
  q.service = p.text("service", 256);
  q.status = p.choice("status", {"unresolved", "resolved", "ignored", ""});
  q.min_severity = p.text("severity");
  if (!q.min_severity.empty() && !parse_severity(q.min_severity))
    p.fail("severity", "one of debug, info, warning, error, critical");
  if (p.has("since")) {
    const std::string v = p.text("since");
    if (auto d = parse_duration_ms(v))
      q.since = now - *d;
    else if (auto t = parse_time(v))
      q.since = *t;
    else
      p.fail("since", "an RFC 3339 time or a duration like 1h");
  }
  q.q = p.text("q", 256);
  const std::string sort = p.choice("sort", {"count", "last_seen", "rate"}, "count");
  q.sort = sort == "last_seen" ? FingerprintSort::last_seen
           : sort == "rate"    ? FingerprintSort::rate
                               : FingerprintSort::count;
  q.limit = static_cast<std::size_t>(p.integer("limit", static_cast<std::int64_t>(q.limit), 1, 1000));
  q.cursor = p.text("cursor", 128);
  if (p.has("include_merged")) q.include_merged = p.text("include_merged") == "true" || p.text("include_merged") == "1";
  if (!p.error().empty()) return Error{ErrorCode::bad_input, p.error()};
  return q;
}

Result<json> list_json(QueryStore& store, const FingerprintQuery& q, const StatsConfig& stats) {
  // sort=rate ranks by the events since rate_window_start: the numerator of the shown rate.
  FingerprintQuery fq = q;
  fq.rate_window_ms = q.now - rate_window_start(q.now, trend_options(stats).short_window_min);
  auto page = store.list(fq);
  if (!page) return page.error();
  std::vector<std::string> ids;
  for (const auto& r : page->rows) ids.push_back(r.summary.id);
  const auto opts = trend_options(stats);
  const UnixMs from = minute_of(q.now) - (opts.baseline_min + opts.short_window_min + 1) * 60'000LL;
  auto series = store.recent_series(ids, std::min<UnixMs>(from, minute_of(q.now) - (opts.forecast_window_min + 1) * 60'000LL));
  if (!series) return series.error();
  json arr = json::array();
  for (std::size_t i = 0; i < page->rows.size(); ++i) {
    const auto& row = page->rows[i];
    Trend t = analyze_trend((*series)[i].second, q.now, stats.forecast_threshold_per_min, opts);
    json item = summary_json(row.summary, row.total, t, q.now, stats);
    item["sparkline"] = per_minute_counts((*series)[i].second, q.now, 60);
    arr.push_back(std::move(item));
  }
  json out = {{"fingerprints", arr}, {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}};
  return out;
}

Result<std::optional<json>> detail_json(QueryStore& store, Fingerprinting* fp, const std::string& id, UnixMs now,
                                        const StatsConfig& stats) {
  auto s = store.fingerprint(id);
  if (!s) return s.error();
  if (!*s) return std::optional<json>{};
  const auto& sum = **s;
  auto children = store.merged_children(id);
  if (!children) return children.error();
  std::int64_t total = sum.count;
  for (const auto& c : *children)
    if (auto cs = store.fingerprint(c); cs && *cs) total += (*cs)->count;
  const auto opts = trend_options(stats);
  auto minutes = store.series(id, minute_of(now) - 90 * 60'000LL, now + 60'000);
  if (!minutes) return minutes.error();
  Trend t = analyze_trend(*minutes, now, stats.forecast_threshold_per_min, opts);
  json j = summary_json(sum, total, t, now, stats);
  // Last hour per minute, zero-filled, oldest first (the CLI draws its sparkline from this).
  json series = json::array();
  std::map<UnixMs, std::int64_t> by_min;
  for (const auto& m : *minutes) by_min[m.minute] = m.count;
  for (int i = 59; i >= 0; --i) {
    const UnixMs m = minute_of(now) - i * 60'000LL;
    auto it = by_min.find(m);
    series.push_back({{"minute", format_rfc3339(m)}, {"count", it == by_min.end() ? 0 : it->second}});
  }
  j["series"] = series;
  // Per hour, last 7 days: the hourly roll-up plus the minutes not rolled up yet (the roll-up only takes
  // minutes older than stats.minute_rollup_after_ms), so a day or week chart includes the last hours too.
  const UnixMs week_ago = now - 7 * 86'400'000LL;
  std::map<UnixMs, std::int64_t> by_hour;
  if (auto h = store.hours(id, week_ago, now))
    for (const auto& m : *h) by_hour[m.minute] += m.count;
  if (auto recent = store.series(id, week_ago, now + 60'000))
    for (const auto& m : *recent) by_hour[m.minute - m.minute % 3'600'000] += m.count;
  json hourly = json::array();
  for (const auto& [hour, count] : by_hour) hourly.push_back({{"hour", format_rfc3339(hour)}, {"count", count}});
  j["series_hourly"] = hourly;
  json samples = json::array();
  std::string first_message;
  if (auto ss = store.samples(id, 12)) {
    for (const auto& x : *ss) {
      if (first_message.empty()) first_message = x.message;
      samples.push_back({{"ts", format_rfc3339(x.ts)}, {"kind", x.kind}, {"message", x.message}, {"service", x.service},
                         {"host", x.host}, {"labels", json::parse(x.labels_json, nullptr, false)}});
    }
  }
  j["samples"] = samples;
  json values = json::array();
  std::map<int, json> by_pos;
  if (auto vs = store.values(id, 10))
    for (const auto& v : *vs) {
      auto& slot = by_pos[v.position];
      if (slot.is_null()) slot = {{"position", v.position}, {"top", json::array()}, {"distinct_estimate", 0}, {"estimate", false}};
      // Exact counts while nothing was evicted; after that Space-Saving counts are upper bounds.
      slot["top"].push_back({{"value", v.value}, {"count", v.count}, {"upper_bound", v.upper_bound}});
      if (v.upper_bound) slot["estimate"] = true;
    }
  if (auto ds = store.distinct_values(id))
    for (const auto& d : *ds) {
      auto& slot = by_pos[d.position];
      if (slot.is_null()) slot = {{"position", d.position}, {"top", json::array()}};
      slot["distinct_estimate"] = d.distinct;
      slot["estimate"] = d.estimated;
    }
  for (auto& [pos, v] : by_pos) values.push_back(v);
  j["values"] = values;
  j["frames"] = json::parse(sum.frames_json, nullptr, false);
  if (j["frames"].is_discarded()) j["frames"] = json::array();
  j["merged_from"] = *children;
  if (fp && !first_message.empty()) {
    auto ex = json::parse(fp->explain(first_message), nullptr, false);
    j["explain"] = ex.is_discarded() ? json(nullptr) : ex;
  } else {
    j["explain"] = nullptr;
  }
  return std::optional<json>(std::move(j));
}

}  // namespace selfheal::app
