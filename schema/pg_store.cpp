#include "schema/pg_store.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <tuple>
#include <unordered_map>

#include "schema/detail/commit_rules.hpp"
#include "schema/detail/pg_access.hpp"
#include "schema/fingerprint_dims.hpp"
#include "schema/log.hpp"

namespace selfheal {

using detail::PgArray;
using detail::PgBytes;
using detail::PgConn;
using detail::PgParams;
using detail::PgRes;

namespace {
constexpr const char* summary_columns =
    "f.id, f.template, f.exception_type, f.frames, f.status, f.severity, f.count, f.first_seen, f.last_seen, "
    "f.merged_into, f.resolved_at, f.regressed_at, f.count + f.merged_count";

FingerprintSummary read_summary(const PgRes& r, int row) {
  FingerprintSummary s;
  s.id = r.str(row, 0);
  s.template_text = r.str(row, 1);
  s.exception_type = r.str(row, 2);
  s.frames_json = r.str(row, 3);
  s.status = r.str(row, 4);
  s.severity = std::string(to_string(static_cast<Severity>(std::clamp<std::int64_t>(r.i64(row, 5), 0, 4))));
  s.count = r.i64(row, 6);
  s.first_seen = r.i64(row, 7);
  s.last_seen = r.i64(row, 8);
  s.merged_into = r.str(row, 9);
  s.resolved_at = r.i64(row, 10);
  s.regressed_at = r.i64(row, 11);
  s.total = r.i64(row, 12);
  return s;
}

FingerprintDims load_dims(PgConn& c, const std::string& id) {
  auto r = c.q("SELECT data FROM fingerprint_dims WHERE fingerprint_id = $1", id);
  if (r.rows() == 0) return {};
  auto d = FingerprintDims::decode(r.bytes(0, 0));
  return d ? std::move(*d) : FingerprintDims{};
}

// Its own dims plus the services and hosts of every fingerprint merged into it (bounded).
FingerprintDims load_union_dims(PgConn& c, const std::string& id) {
  FingerprintDims dims = load_dims(c, id);
  auto kids = c.q(
      "SELECT d.data FROM fingerprints f JOIN fingerprint_dims d ON d.fingerprint_id = f.id "
      "WHERE f.merged_into = $1 AND f.merged_into <> '' LIMIT 1000",
      id);
  for (int i = 0; i < kids.rows(); ++i) {
    auto kd = FingerprintDims::decode(kids.bytes(i, 0));
    if (!kd) continue;
    detail::add_name_counts(dims.services, kd->services);
    detail::add_name_counts(dims.hosts, kd->hosts);
  }
  return dims;
}

std::vector<MinuteCount> minute_counts(const PgRes& r) {
  std::vector<MinuteCount> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back({r.i64(i, 0), r.i64(i, 1)});
  return out;
}

// Every statement of a commit writes all its rows at once from arrays, in fingerprint id order (the
// lock order every writer follows): a flush costs the same dozen round trips for 1 or 1,000
// fingerprints.
constexpr const char* upsert_fingerprints =
    "INSERT INTO fingerprints AS f(id, template, exception_type, frames, count, first_seen, last_seen, severity, "
    "samples_seen, service, algorithm_version) "
    "SELECT id, t, e, fr, c, fs, ls, sev, c, svc, $10 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
    "$5::bigint[], $6::bigint[], $7::bigint[], $8::int[], $9::text[]) WITH ORDINALITY AS u(id, t, e, fr, c, fs, ls, "
    "sev, svc, ord) ORDER BY ord "
    "ON CONFLICT(id) DO UPDATE SET count = f.count + excluded.count, "
    "first_seen = LEAST(f.first_seen, excluded.first_seen), last_seen = GREATEST(f.last_seen, excluded.last_seen), "
    "severity = GREATEST(f.severity, excluded.severity), samples_seen = f.samples_seen + excluded.count "
    "RETURNING id, count, status, resolved_at, samples_seen, ignore_until_ms, ignore_until_count, ignore_rate_per_min";
}  // namespace

PgStore::PgStore(std::shared_ptr<PgDb> db, const Clock& clock, StoreOptions opts)
    : db_(std::move(db)), clock_(clock), opts_(opts) {
  std::random_device rd;
  token_prefix_ = std::to_string(rd()) + "-" + std::to_string(rd()) + "-" +
                  std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) + "-";
}

std::string PgStore::next_token() { return token_prefix_ + std::to_string(token_seq_.fetch_add(1)); }

Result<CommitReceipt> PgStore::commit(const WriteBatch& batch) {
  const auto started = std::chrono::steady_clock::now();
  const UnixMs now = clock_.now_ms();
  const auto order = detail::in_id_order(batch);
  auto r = detail::with_tx(*db_, [&](PgConn& c) -> Result<CommitReceipt> {
    CommitReceipt receipt;
    if (!order.empty()) {
      PgArray ids, templates, exceptions, frames, counts, firsts, lasts, levels, services;
      for (const auto* kv : order) {
        const auto& d = kv->second;
        ids.text(kv->first);
        templates.text(d.info.template_text);
        exceptions.text(d.info.exception_type);
        frames.text(d.info.frames_json.empty() ? std::string("[]") : d.info.frames_json);
        counts.i64(d.count);
        firsts.i64(d.first);
        lasts.i64(d.last);
        levels.i64(static_cast<int>(d.max_level));
        services.text(detail::main_service(d));
      }
      // 1. The fingerprint rows: counts, and a row lock each until the commit.
      std::unordered_map<std::string, detail::UpsertedRow> rows;
      auto up = c.q(upsert_fingerprints, ids, templates, exceptions, frames, counts, firsts, lasts, levels, services,
                    opts_.algorithm_version);
      for (int i = 0; i < up.rows(); ++i) {
        detail::UpsertedRow& row = rows[up.str(i, 0)];
        row.total = up.i64(i, 1);
        row.status = up.str(i, 2);
        row.resolved_at = up.i64(i, 3);
        row.samples_seen = up.i64(i, 4);
        row.ignore_until_ms = up.i64(i, 5);
        row.ignore_until_count = up.i64(i, 6);
        row.ignore_rate_per_min = up.i64(i, 7);
      }
      // 2. Their dims, read now that the locks are held (a new statement sees what others committed).
      std::unordered_map<std::string, std::string> stored_dims;
      auto dr = c.q("SELECT fingerprint_id, data FROM fingerprint_dims WHERE fingerprint_id = ANY($1::text[])", ids);
      for (int i = 0; i < dr.rows(); ++i) stored_dims.emplace(dr.str(i, 0), dr.bytes(i, 1));
      // 3. Minutes.
      PgArray m_ids, m_minutes, m_counts;
      for (const auto* kv : order)
        for (const auto& [m, cnt] : kv->second.minutes) {
          m_ids.text(kv->first);
          m_minutes.i64(m);
          m_counts.i64(cnt);
        }
      std::unordered_map<std::string, std::int64_t> busiest;
      auto mr = c.q(
          "INSERT INTO fingerprint_minutes AS t(fingerprint_id, minute, count) SELECT * FROM unnest($1::text[], "
          "$2::bigint[], $3::bigint[]) ON CONFLICT(fingerprint_id, minute) DO UPDATE SET count = t.count + "
          "excluded.count RETURNING fingerprint_id, count",
          m_ids, m_minutes, m_counts);
      for (int i = 0; i < mr.rows(); ++i) {
        auto& b = busiest[mr.str(i, 0)];
        b = std::max(b, mr.i64(i, 1));
      }
      // 4. What the rows decide: regressions, ended ignores, dims, samples.
      std::minstd_rand rng(static_cast<unsigned>(now));
      PgArray regressed, unignored, svc_names, svc_ids, dims_ids, dims_data;
      PgArray first_ids, first_kinds, first_slots, first_ts, first_msg, first_svc, first_host, first_labels;
      std::map<std::tuple<std::string, std::string, std::int64_t>, const Sample*> replaced;  // last write wins
      for (const auto* kv : order) {
        const auto& id = kv->first;
        const auto& d = kv->second;
        const auto& row = rows[id];
        ++receipt.fingerprints;
        receipt.touched_ids.push_back(id);
        for (const auto& sc : d.scopes) receipt.touched_scopes.push_back(TouchedScope{id, sc.service, sc.host, sc.count});
        receipt.events += d.count;
        if (row.total == d.count) {
          receipt.new_ids.push_back(id);
          receipt.new_by_service.emplace_back(detail::main_service(d), id);
        }
        if (detail::regresses(row, d, opts_)) {
          regressed.text(id);
          receipt.regressed_ids.push_back(id);
        }
        if (detail::ignore_ends(row, now, busiest[id])) {
          unignored.text(id);
          receipt.unignored_ids.push_back(id);
        }
        FingerprintDims dims;
        if (auto it = stored_dims.find(id); it != stored_dims.end()) {
          auto decoded = FingerprintDims::decode(it->second);
          if (decoded) dims = std::move(*decoded);
          else ++receipt.dims_reset;
        }
        for (const auto& svc : dims.add(d, WriteBatch::max_services_per_fp, opts_.max_values_per_position)) {
          svc_names.text(svc);
          svc_ids.text(id);
        }
        dims_ids.text(id);
        dims_data.bytes(dims.encode());
        for (const auto& w : detail::plan_samples(d, row, opts_, rng)) {
          const auto& smp = d.samples[w.index];
          if (std::string_view(w.kind) != "first") {
            replaced[{id, w.kind, w.slot}] = &smp;
            continue;
          }
          first_ids.text(id);
          first_kinds.text(w.kind);
          first_slots.i64(w.slot);
          first_ts.i64(smp.ts);
          first_msg.text(smp.message);
          first_svc.text(smp.service);
          first_host.text(smp.host);
          first_labels.text(smp.labels_json);
        }
      }
      if (!regressed.empty())
        c.q("UPDATE fingerprints SET status='unresolved', regressed_at=$2 WHERE id = ANY($1::text[])", regressed,
            std::int64_t{now});
      if (!unignored.empty())
        c.q("UPDATE fingerprints SET status='unresolved', status_changed_at=$2, status_changed_by='ignore-bound', "
            "ignore_until_ms=0, ignore_until_count=0, ignore_rate_per_min=0 WHERE id = ANY($1::text[])",
            unignored, std::int64_t{now});
      if (!svc_names.empty())
        c.q("INSERT INTO fingerprint_services(service, fingerprint_id) SELECT * FROM unnest($1::text[], $2::text[]) "
            "ON CONFLICT DO NOTHING",
            svc_names, svc_ids);
      c.q("INSERT INTO fingerprint_dims(fingerprint_id, data) SELECT * FROM unnest($1::text[], $2::bytea[]) "
          "ON CONFLICT(fingerprint_id) DO UPDATE SET data = excluded.data",
          dims_ids, dims_data);
      constexpr const char* sample_insert =
          "INSERT INTO samples(fingerprint_id, kind, slot, ts, message, service, host, labels) SELECT * FROM "
          "unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[]) "
          "ON CONFLICT(fingerprint_id, kind, slot) ";
      if (!first_ids.empty())  // the first samples ever: a slot already taken keeps its older sample
        c.q(std::string(sample_insert) + "DO NOTHING", first_ids, first_kinds, first_slots, first_ts, first_msg,
            first_svc, first_host, first_labels);
      if (!replaced.empty()) {
        PgArray r_ids, r_kinds, r_slots, r_ts, r_msg, r_svc, r_host, r_labels;
        for (const auto& [key, smp] : replaced) {
          r_ids.text(std::get<0>(key));
          r_kinds.text(std::get<1>(key));
          r_slots.i64(std::get<2>(key));
          r_ts.i64(smp->ts);
          r_msg.text(smp->message);
          r_svc.text(smp->service);
          r_host.text(smp->host);
          r_labels.text(smp->labels_json);
        }
        c.q(std::string(sample_insert) +
                "DO UPDATE SET ts = excluded.ts, message = excluded.message, service = excluded.service, "
                "host = excluded.host, labels = excluded.labels",
            r_ids, r_kinds, r_slots, r_ts, r_msg, r_svc, r_host, r_labels);
      }
    }
    if (!batch.counts().empty()) {
      PgArray sources, services, lines, events, kept;
      for (const auto& [k, cnt] : batch.counts()) {
        sources.text(k.first);
        services.text(k.second);
        lines.i64(cnt.lines);
        events.i64(cnt.events);
        kept.i64(cnt.kept);
      }
      c.q("INSERT INTO source_counts AS t(source, service, lines, events, kept) SELECT * FROM unnest($1::text[], "
          "$2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) ON CONFLICT(source, service) DO UPDATE SET "
          "lines = t.lines + excluded.lines, events = t.events + excluded.events, kept = t.kept + excluded.kept",
          sources, services, lines, events, kept);
    }
    if (!batch.positions().empty()) {
      PgArray sources, keys, values;
      for (const auto& [k, v] : batch.positions()) {
        sources.text(k.first);
        keys.text(k.second);
        values.text(v);
      }
      c.q("INSERT INTO source_positions(source, key, value, updated_at) SELECT s, k, v, $4 FROM unnest($1::text[], "
          "$2::text[], $3::text[]) AS u(s, k, v) ON CONFLICT(source, key) DO UPDATE SET value = excluded.value, "
          "updated_at = excluded.updated_at",
          sources, keys, values, std::int64_t{now});
    }
    for (const auto& dl : batch.dead_letters()) {
      const auto n = std::min(dl.payload.size(), opts_.max_dead_letter_bytes);
      c.q("INSERT INTO dead_letters(ts, source, reason, content_type, payload, size) VALUES($1,$2,$3,$4,$5,$6)",
          std::int64_t{dl.ts ? dl.ts : now}, dl.source, dl.reason, dl.content_type,
          PgBytes{std::string_view(dl.payload).substr(0, n)},
          static_cast<std::int64_t>(dl.size ? dl.size : dl.payload.size()));
    }
    return receipt;
  }, next_token());
  detail::finish_commit(r, started);
  return r;
}

Result<std::vector<SourcePosition>> PgStore::positions(std::string_view source) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<SourcePosition>> {
    auto r = c.q("SELECT key, value FROM source_positions WHERE source = $1 ORDER BY key", source);
    std::vector<SourcePosition> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({std::string(source), r.str(i, 0), r.str(i, 1)});
    return out;
  });
}

Result<std::vector<DeadLetter>> PgStore::dead_letters(const DeadLetterQuery& dq) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<DeadLetter>> {
    auto r = c.q(
        "SELECT id, ts, source, reason, content_type, payload, size, replayed FROM dead_letters "
        "WHERE id > $1 AND ($2 = '' OR source = $2) ORDER BY id LIMIT $3",
        std::int64_t{dq.after_id}, dq.source, dq.limit);
    std::vector<DeadLetter> out;
    for (int i = 0; i < r.rows(); ++i) {
      DeadLetter d;
      d.id = r.i64(i, 0);
      d.ts = r.i64(i, 1);
      d.source = r.str(i, 2);
      d.reason = r.str(i, 3);
      d.content_type = r.str(i, 4);
      d.payload = r.bytes(i, 5);
      d.size = static_cast<std::uint64_t>(r.i64(i, 6));
      d.replayed = r.i64(i, 7) != 0;
      out.push_back(std::move(d));
    }
    return out;
  });
}

Result<std::int64_t> PgStore::dead_letter_count() {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::int64_t> {
    return c.exec("SELECT count(*) FROM dead_letters").i64(0, 0);
  });
}

Result<void> PgStore::mark_replayed(std::int64_t id) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<void> {
    if (c.q("UPDATE dead_letters SET replayed = 1 WHERE id = $1", id).affected() == 0)
      return Error{ErrorCode::not_found, "dead letter " + std::to_string(id) + " not found"};
    return {};
  });
}

Result<std::optional<FingerprintSummary>> PgStore::fingerprint(std::string_view id) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::optional<FingerprintSummary>> {
    auto r = c.q(std::string("SELECT ") + summary_columns + " FROM fingerprints f WHERE f.id = $1", id);
    if (r.rows() == 0) return std::optional<FingerprintSummary>{};
    FingerprintSummary s = read_summary(r, 0);
    detail::fill_names(s, load_union_dims(c, s.id), 64);
    return std::optional<FingerprintSummary>(std::move(s));
  });
}

Result<std::vector<MinuteCount>> PgStore::series(std::string_view id, UnixMs from, UnixMs to) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<MinuteCount>> {
    return minute_counts(c.q("SELECT minute, count FROM fingerprint_minutes WHERE fingerprint_id = $1 AND "
                             "minute >= $2 AND minute < $3 ORDER BY minute",
                             id, std::int64_t{from}, std::int64_t{to}));
  });
}

Result<std::vector<MinuteCount>> PgStore::hours(std::string_view id, UnixMs from, UnixMs to) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<MinuteCount>> {
    return minute_counts(c.q("SELECT hour, count FROM fingerprint_hours WHERE fingerprint_id = $1 AND hour >= $2 "
                             "AND hour < $3 ORDER BY hour",
                             id, std::int64_t{from}, std::int64_t{to}));
  });
}

Result<std::vector<std::pair<std::string, std::vector<MinuteCount>>>> PgStore::recent_series(
    const std::vector<std::string>& ids, UnixMs from) {
  using Out = std::vector<std::pair<std::string, std::vector<MinuteCount>>>;
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<Out> {
    Out out;
    for (const auto& id : ids)
      out.emplace_back(id, minute_counts(c.q("SELECT minute, count FROM fingerprint_minutes WHERE fingerprint_id = $1 "
                                             "AND minute >= $2 ORDER BY minute",
                                             id, std::int64_t{from})));
    return out;
  });
}

Result<std::vector<StoredSample>> PgStore::samples(std::string_view id, std::size_t limit) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<StoredSample>> {
    auto r = c.q(
        "SELECT ts, kind, message, service, host, labels FROM samples WHERE fingerprint_id = $1 "
        "ORDER BY CASE kind WHEN 'first' THEN 0 WHEN 'recent' THEN 1 ELSE 2 END, ts LIMIT $2",
        id, limit);
    std::vector<StoredSample> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({r.i64(i, 0), r.str(i, 1), r.str(i, 2), r.str(i, 3), r.str(i, 4), r.str(i, 5)});
    return out;
  });
}

Result<std::vector<ValueCount>> PgStore::values(std::string_view id, std::size_t per_position) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<ValueCount>> {
    const auto dims = load_dims(c, std::string(id));
    std::vector<ValueCount> out;
    for (std::size_t pos = 0; pos < dims.positions.size(); ++pos)
      for (auto& [v, cnt] : top_counts(dims.positions[pos].values, per_position))
        out.push_back({static_cast<int>(pos), v, cnt, dims.positions[pos].evicted});
    return out;
  });
}

Result<std::vector<DistinctEstimate>> PgStore::distinct_values(std::string_view id) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<DistinctEstimate>> {
    const auto dims = load_dims(c, std::string(id));
    std::vector<DistinctEstimate> out;
    for (std::size_t pos = 0; pos < dims.positions.size(); ++pos)
      if (!dims.positions[pos].values.empty() || dims.positions[pos].evicted)
        out.push_back({static_cast<int>(pos), dims.distinct(static_cast<int>(pos)), dims.positions[pos].evicted});
    return out;
  });
}

Result<std::vector<SourceStat>> PgStore::source_stats() {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<SourceStat>> {
    auto r = c.exec("SELECT source, service, lines, events, kept FROM source_counts ORDER BY source, service");
    std::vector<SourceStat> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({r.str(i, 0), r.str(i, 1), r.i64(i, 2), r.i64(i, 3), r.i64(i, 4)});
    return out;
  });
}

Result<std::int64_t> PgStore::fingerprint_count() {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::int64_t> {
    return c.exec("SELECT count(*) FROM fingerprints").i64(0, 0);
  });
}

Result<std::vector<std::string>> PgStore::merged_children(std::string_view id) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<std::string>> {
    auto r = c.q("SELECT source_id FROM merges WHERE target_id = $1 ORDER BY source_id", id);
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.str(i, 0));
    return out;
  });
}

Result<FingerprintPage> PgStore::list(const FingerprintQuery& fq) {
  std::optional<detail::ListCursor> cursor;
  if (!fq.cursor.empty()) {
    cursor = detail::parse_list_cursor(fq.cursor);
    if (!cursor || cursor->sort != detail::list_sort_code(fq.sort))
      return Error{ErrorCode::bad_input, "invalid cursor (it must come from next_cursor of the same sort)"};
  }
  if (fq.limit == 0 || fq.limit > 1000) return Error{ErrorCode::bad_input, "limit must be between 1 and 1000"};
  int min_sev = 0;
  if (!fq.min_severity.empty()) {
    auto s = parse_severity(fq.min_severity);
    if (!s) return Error{ErrorCode::bad_input, "unknown severity '" + fq.min_severity + "'"};
    min_sev = static_cast<int>(*s);
  }
  PgParams params;
  auto ph = [&params](auto v) {
    params.add(v);
    return "$" + std::to_string(params.size());
  };
  std::string sql = std::string("SELECT ") + summary_columns;
  std::string key_expr;
  if (fq.sort == FingerprintSort::rate) {
    sql += ", r.c FROM (SELECT fingerprint_id, sum(count)::BIGINT AS c FROM fingerprint_minutes WHERE minute >= " +
           ph(std::int64_t{fq.now - fq.rate_window_ms}) +
           " GROUP BY fingerprint_id) r JOIN fingerprints f ON f.id = r.fingerprint_id ";
    key_expr = "(-r.c)";
  } else {
    sql += ", 0 FROM fingerprints f ";
    key_expr = fq.sort == FingerprintSort::count ? "(-(f.count + f.merged_count))" : "(-f.last_seen)";
  }
  sql += "WHERE true";
  if (!fq.include_merged) sql += " AND f.merged_into = ''";
  if (!fq.status.empty()) sql += " AND f.status = " + ph(fq.status);
  if (min_sev > 0) sql += " AND f.severity >= " + ph(min_sev);
  if (fq.since > 0) sql += " AND f.last_seen >= " + ph(std::int64_t{fq.since});
  if (!fq.service.empty()) {
    const std::string svc = ph(fq.service);
    sql += " AND (f.id IN (SELECT fingerprint_id FROM fingerprint_services WHERE service = " + svc +
           ") OR f.id IN (SELECT m.merged_into FROM fingerprints m WHERE m.merged_into <> '' AND m.id IN (SELECT "
           "fingerprint_id FROM fingerprint_services WHERE service = " + svc + ")))";
  }
  if (!fq.q.empty()) {
    const std::string q = ph(fq.q);
    sql += " AND (strpos(lower(f.template), lower(" + q + ")) > 0 OR starts_with(f.id, " + q + "))";
  }
  if (cursor) {
    const std::string k = ph(std::int64_t{cursor->key});
    sql += " AND (" + key_expr + ", f.id) > (" + k + ", " + ph(cursor->id) + ")";
  }
  sql += " ORDER BY " + key_expr + ", f.id LIMIT " + ph(fq.limit + 1);
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<FingerprintPage> {
    auto r = c.exec(sql, params);
    FingerprintPage page;
    for (int i = 0; i < r.rows(); ++i) {
      FingerprintRow row;
      row.summary = read_summary(r, i);
      row.total = r.i64(i, 12);
      row.recent = r.i64(i, 13);
      page.rows.push_back(std::move(row));
    }
    if (page.rows.size() > fq.limit) {
      page.rows.pop_back();
      page.next_cursor = detail::list_cursor_after(fq, page.rows.back());
    }
    for (auto& row : page.rows) detail::fill_names(row.summary, load_union_dims(c, row.summary.id), 16);
    return page;
  });
}

Result<PruneReport> PgStore::prune(const RetentionPolicy& p) {
  return detail::with_tx(*db_, [&](PgConn& c) -> Result<PruneReport> {
    PruneReport rep;
    const std::int64_t rollup_cut = minute_of(p.now - p.minute_rollup_after_ms);
    const std::int64_t retention_cut = p.now - p.retention_ms;
    c.q("INSERT INTO fingerprint_hours AS h(fingerprint_id, hour, count) SELECT fingerprint_id, "
        "minute - (minute % 3600000), sum(count) FROM fingerprint_minutes WHERE minute < $1 GROUP BY 1, 2 "
        "ON CONFLICT(fingerprint_id, hour) DO UPDATE SET count = h.count + excluded.count",
        rollup_cut);
    rep.minutes_rolled_up = c.q("DELETE FROM fingerprint_minutes WHERE minute < $1", rollup_cut).affected();
    rep.hours_pruned = c.q("DELETE FROM fingerprint_hours WHERE hour < $1", retention_cut).affected();
    rep.samples_pruned = c.q("DELETE FROM samples WHERE ts < $1 AND (kind <> 'first' OR fingerprint_id IN (SELECT id "
                             "FROM fingerprints WHERE last_seen < $1))",
                             retention_cut)
                             .affected();
    rep.dead_letters_pruned = c.q("DELETE FROM dead_letters WHERE ts < $1", retention_cut).affected();
    // A lost COMMIT answer is looked up within minutes; a day of tokens is plenty.
    c.q("DELETE FROM commit_tokens WHERE at < $1", std::int64_t{p.now - 24 * 3600'000LL});
    const std::int64_t healing_cut = p.now - std::max(p.retention_ms, p.min_healing_history_ms);
    for (const char* sql : {
             "DELETE FROM healing_runs WHERE ts < $1 AND outcome <> 'running' AND verification <> 'pending'",
             "DELETE FROM approvals WHERE created_at < $1 AND status <> 'pending'",
             "DELETE FROM throttles WHERE applied_at < $1 AND status <> 'active'",
             "DELETE FROM llm_attempts WHERE ts < $1",
         })
      rep.healing_rows_pruned += c.q(sql, healing_cut).affected();
    return rep;
  });
}

}  // namespace selfheal
