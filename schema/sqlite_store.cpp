#include "schema/sqlite_store.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <set>

#include "schema/detail/commit_rules.hpp"
#include "schema/detail/sqlite_access.hpp"
#include "schema/fingerprint_dims.hpp"
#include "schema/log.hpp"

namespace selfheal {

namespace {
constexpr const char* summary_columns =
    "f.id, f.template, f.exception_type, f.frames, f.status, f.severity, f.count, f.first_seen, f.last_seen, "
    "f.merged_into, f.resolved_at, f.regressed_at, f.count + f.merged_count";

FingerprintSummary read_summary(SQLite::Statement& q) {
  FingerprintSummary s;
  s.id = q.getColumn(0).getString();
  s.template_text = q.getColumn(1).getString();
  s.exception_type = q.getColumn(2).getString();
  s.frames_json = q.getColumn(3).getString();
  s.status = q.getColumn(4).getString();
  s.severity = std::string(to_string(static_cast<Severity>(std::clamp(q.getColumn(5).getInt(), 0, 4))));
  s.count = q.getColumn(6).getInt64();
  s.first_seen = q.getColumn(7).getInt64();
  s.last_seen = q.getColumn(8).getInt64();
  s.merged_into = q.getColumn(9).getString();
  s.resolved_at = q.getColumn(10).getInt64();
  s.regressed_at = q.getColumn(11).getInt64();
  s.total = q.getColumn(12).getInt64();
  return s;
}

// The dims row of one fingerprint (empty when it has none or it is unreadable).
FingerprintDims load_dims(SQLite::Database& db, const std::string& id) {
  SQLite::Statement q(db, "SELECT data FROM fingerprint_dims WHERE fingerprint_id = ?1");
  q.bind(1, id);
  if (!q.executeStep()) return {};
  auto col = q.getColumn(0);
  auto d = FingerprintDims::decode(
      std::string_view(static_cast<const char*>(col.getBlob()), static_cast<std::size_t>(col.getBytes())));
  return d ? std::move(*d) : FingerprintDims{};
}

// Its own dims plus the services and hosts of every fingerprint merged into it (bounded).
FingerprintDims load_union_dims(SQLite::Database& db, const std::string& id) {
  FingerprintDims dims = load_dims(db, id);
  SQLite::Statement kids(db, "SELECT id FROM fingerprints WHERE merged_into = ?1 AND merged_into != '' LIMIT 1000");
  kids.bind(1, id);
  while (kids.executeStep()) {
    const FingerprintDims kd = load_dims(db, kids.getColumn(0).getString());
    detail::add_name_counts(dims.services, kd.services);
    detail::add_name_counts(dims.hosts, kd.hosts);
  }
  return dims;
}

}  // namespace

SqliteStore::SqliteStore(std::shared_ptr<SqliteDb> db, const Clock& clock, StoreOptions opts)
    : db_(std::move(db)), clock_(clock), opts_(opts) {}

Result<CommitReceipt> SqliteStore::commit(const WriteBatch& batch) {
  const auto started = std::chrono::steady_clock::now();
  const UnixMs now = clock_.now_ms();
  auto r = detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<CommitReceipt> {
    CommitReceipt receipt;
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    if (!batch.fingerprints().empty()) {
      SQLite::Statement up(db,
                           "INSERT INTO fingerprints(id, template, exception_type, frames, count, first_seen, "
                           "last_seen, severity, samples_seen, service, algorithm_version) "
                           "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?5,?9,?10) "
                           "ON CONFLICT(id) DO UPDATE SET count = count + excluded.count, "
                           "first_seen = min(first_seen, excluded.first_seen), "
                           "last_seen = max(last_seen, excluded.last_seen), "
                           "severity = max(severity, excluded.severity), "
                           "samples_seen = samples_seen + excluded.count "
                           "RETURNING count, status, resolved_at, samples_seen, ignore_until_ms, ignore_until_count, "
                           "ignore_rate_per_min");
      SQLite::Statement unignore(db,
                                 "UPDATE fingerprints SET status='unresolved', status_changed_at=?2, "
                                 "status_changed_by='ignore-bound', ignore_until_ms=0, ignore_until_count=0, "
                                 "ignore_rate_per_min=0 WHERE id=?1");
      SQLite::Statement reopen(db,
                               "UPDATE fingerprints SET status='unresolved', regressed_at=?2 WHERE id=?1");
      SQLite::Statement minute(db,
                               "INSERT INTO fingerprint_minutes(fingerprint_id, minute, count) VALUES(?1,?2,?3) "
                               "ON CONFLICT(fingerprint_id, minute) DO UPDATE SET count = count + excluded.count "
                               "RETURNING count");
      SQLite::Statement dims_get(db, "SELECT data FROM fingerprint_dims WHERE fingerprint_id=?1");
      SQLite::Statement dims_put(db, "INSERT OR REPLACE INTO fingerprint_dims(fingerprint_id, data) VALUES(?1,?2)");
      SQLite::Statement service_of(db,
                                   "INSERT OR IGNORE INTO fingerprint_services(service, fingerprint_id) VALUES(?1,?2)");
      SQLite::Statement sample(db,
                               "INSERT OR REPLACE INTO samples(fingerprint_id, kind, slot, ts, message, service, "
                               "host, labels) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
      SQLite::Statement first_sample(db,
                                     "INSERT OR IGNORE INTO samples(fingerprint_id, kind, slot, ts, message, "
                                     "service, host, labels) VALUES(?1,'first',?2,?3,?4,?5,?6,?7)");
      std::minstd_rand rng(static_cast<unsigned>(now));
      // In id order: every table below is keyed by fingerprint id first, so neighbouring statements
      // touch neighbouring pages.
      for (const auto* kv : detail::in_id_order(batch)) {
        const auto& id = kv->first;
        const auto& d = kv->second;
        up.bind(1, id);
        up.bind(2, d.info.template_text);
        up.bind(3, d.info.exception_type);
        up.bind(4, d.info.frames_json.empty() ? std::string("[]") : d.info.frames_json);
        up.bind(5, static_cast<int64_t>(d.count));
        up.bind(6, static_cast<int64_t>(d.first));
        up.bind(7, static_cast<int64_t>(d.last));
        up.bind(8, static_cast<int>(d.max_level));
        const std::string main_service = detail::main_service(d);
        up.bind(9, main_service);
        up.bind(10, opts_.algorithm_version);
        detail::UpsertedRow row;
        if (up.executeStep()) {
          row.total = up.getColumn(0).getInt64();
          row.status = up.getColumn(1).getString();
          row.resolved_at = up.getColumn(2).getInt64();
          row.samples_seen = up.getColumn(3).getInt64();
          row.ignore_until_ms = up.getColumn(4).getInt64();
          row.ignore_until_count = up.getColumn(5).getInt64();
          row.ignore_rate_per_min = up.getColumn(6).getInt64();
        }
        up.reset();
        up.clearBindings();
        ++receipt.fingerprints;
        receipt.touched_ids.push_back(id);
        for (const auto& sc : d.scopes) receipt.touched_scopes.push_back(TouchedScope{id, sc.service, sc.host, sc.count});
        receipt.events += d.count;
        const bool is_new = row.total == d.count;
        if (is_new) {
          receipt.new_ids.push_back(id);
          receipt.new_by_service.emplace_back(main_service, id);
        }
        if (detail::regresses(row, d, opts_)) {
          reopen.bind(1, id);
          reopen.bind(2, static_cast<int64_t>(now));
          reopen.exec();
          reopen.reset();
          receipt.regressed_ids.push_back(id);
        }
        std::int64_t busiest_minute = 0;
        for (const auto& [m, c] : d.minutes) {
          minute.bind(1, id);
          minute.bind(2, static_cast<int64_t>(m));
          minute.bind(3, static_cast<int64_t>(c));
          if (minute.executeStep()) busiest_minute = std::max(busiest_minute, minute.getColumn(0).getInt64());
          minute.reset();
        }
        if (detail::ignore_ends(row, now, busiest_minute)) {
          unignore.bind(1, id);
          unignore.bind(2, static_cast<int64_t>(now));
          unignore.exec();
          unignore.reset();
          receipt.unignored_ids.push_back(id);
        }
        // Services, hosts and value sketches: one read and one write of the fingerprint's dims row.
        FingerprintDims dims;
        dims_get.bind(1, id);
        if (dims_get.executeStep()) {
          auto col = dims_get.getColumn(0);
          auto decoded = FingerprintDims::decode(
              std::string_view(static_cast<const char*>(col.getBlob()), static_cast<std::size_t>(col.getBytes())));
          if (decoded) dims = std::move(*decoded);
          else ++receipt.dims_reset;  // unreadable row: start afresh rather than fail the commit
        }
        dims_get.reset();
        for (const auto& svc : dims.add(d, WriteBatch::max_services_per_fp, opts_.max_values_per_position)) {
          service_of.bind(1, svc);
          service_of.bind(2, id);
          service_of.exec();
          service_of.reset();
        }
        const std::string blob = dims.encode();
        dims_put.bind(1, id);
        dims_put.bind(2, blob.data(), static_cast<int>(blob.size()));
        dims_put.exec();
        dims_put.reset();
        for (const auto& w : detail::plan_samples(d, row, opts_, rng)) {
          const auto& smp = d.samples[w.index];
          const bool first = std::string_view(w.kind) == "first";
          auto& st = first ? first_sample : sample;
          int i = 1;
          st.bind(i++, id);
          if (!first) st.bind(i++, w.kind);
          st.bind(i++, static_cast<int64_t>(w.slot));
          st.bind(i++, static_cast<int64_t>(smp.ts));
          st.bind(i++, smp.message);
          st.bind(i++, smp.service);
          st.bind(i++, smp.host);
          st.bind(i++, smp.labels_json);
          st.exec();
          st.reset();
        }
      }
    }
    if (!batch.counts().empty()) {
      SQLite::Statement cnt(db,
                            "INSERT INTO source_counts(source, service, lines, events, kept) VALUES(?1,?2,?3,?4,?5) "
                            "ON CONFLICT(source, service) DO UPDATE SET lines = lines + excluded.lines, "
                            "events = events + excluded.events, kept = kept + excluded.kept");
      for (const auto& [k, c] : batch.counts()) {
        cnt.bind(1, k.first);
        cnt.bind(2, k.second);
        cnt.bind(3, static_cast<int64_t>(c.lines));
        cnt.bind(4, static_cast<int64_t>(c.events));
        cnt.bind(5, static_cast<int64_t>(c.kept));
        cnt.exec();
        cnt.reset();
      }
    }
    if (!batch.positions().empty()) {
      SQLite::Statement pos(db,
                            "INSERT INTO source_positions(source, key, value, updated_at) VALUES(?1,?2,?3,?4) "
                            "ON CONFLICT(source, key) DO UPDATE SET value = excluded.value, "
                            "updated_at = excluded.updated_at");
      for (const auto& [k, v] : batch.positions()) {
        pos.bind(1, k.first);
        pos.bind(2, k.second);
        pos.bind(3, v);
        pos.bind(4, static_cast<int64_t>(now));
        pos.exec();
        pos.reset();
      }
    }
    if (!batch.dead_letters().empty()) {
      SQLite::Statement dl(db,
                           "INSERT INTO dead_letters(ts, source, reason, content_type, payload, size) "
                           "VALUES(?1,?2,?3,?4,?5,?6)");
      for (const auto& d : batch.dead_letters()) {
        dl.bind(1, static_cast<int64_t>(d.ts ? d.ts : now));
        dl.bind(2, d.source);
        dl.bind(3, d.reason);
        dl.bind(4, d.content_type);
        const auto n = std::min(d.payload.size(), opts_.max_dead_letter_bytes);
        dl.bind(5, d.payload.data(), static_cast<int>(n));
        dl.bind(6, static_cast<int64_t>(d.size ? d.size : d.payload.size()));
        dl.exec();
        dl.reset();
      }
    }
    tx.commit();
    return receipt;
  });
  detail::finish_commit(r, started);
  return r;
}

Result<std::vector<SourcePosition>> SqliteStore::positions(std::string_view source) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<SourcePosition>> {
    SQLite::Statement q(db, "SELECT key, value FROM source_positions WHERE source = ?1 ORDER BY key");
    q.bind(1, std::string(source));
    std::vector<SourcePosition> out;
    while (q.executeStep()) out.push_back({std::string(source), q.getColumn(0).getString(), q.getColumn(1).getString()});
    return out;
  });
}

Result<std::vector<DeadLetter>> SqliteStore::dead_letters(const DeadLetterQuery& dq) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<DeadLetter>> {
    SQLite::Statement q(db,
                        "SELECT id, ts, source, reason, content_type, payload, size, replayed FROM dead_letters "
                        "WHERE id > ?1 AND (?2 = '' OR source = ?2) ORDER BY id LIMIT ?3");
    q.bind(1, static_cast<int64_t>(dq.after_id));
    q.bind(2, dq.source);
    q.bind(3, static_cast<int64_t>(dq.limit));
    std::vector<DeadLetter> out;
    while (q.executeStep()) {
      DeadLetter d;
      d.id = q.getColumn(0).getInt64();
      d.ts = q.getColumn(1).getInt64();
      d.source = q.getColumn(2).getString();
      d.reason = q.getColumn(3).getString();
      d.content_type = q.getColumn(4).getString();
      auto blob = q.getColumn(5);
      d.payload.assign(static_cast<const char*>(blob.getBlob()), static_cast<std::size_t>(blob.getBytes()));
      d.size = static_cast<std::uint64_t>(q.getColumn(6).getInt64());
      d.replayed = q.getColumn(7).getInt() != 0;
      out.push_back(std::move(d));
    }
    return out;
  });
}

Result<std::int64_t> SqliteStore::dead_letter_count() {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::int64_t> {
    return db.execAndGet("SELECT count(*) FROM dead_letters").getInt64();
  });
}

Result<void> SqliteStore::mark_replayed(std::int64_t id) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement q(db, "UPDATE dead_letters SET replayed = 1 WHERE id = ?1");
    q.bind(1, static_cast<int64_t>(id));
    if (q.exec() == 0) return Error{ErrorCode::not_found, "dead letter " + std::to_string(id) + " not found"};
    return {};
  });
}

Result<std::optional<FingerprintSummary>> SqliteStore::fingerprint(std::string_view id) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::optional<FingerprintSummary>> {
    SQLite::Statement q(db, std::string("SELECT ") + summary_columns + " FROM fingerprints f WHERE f.id = ?1");
    q.bind(1, std::string(id));
    if (!q.executeStep()) return std::optional<FingerprintSummary>{};
    FingerprintSummary s = read_summary(q);
    // A merge target (e.g. a learned template with no events of its own yet) shows the services and
    // hosts of every fingerprint merged into it, so scope filters and the healer keep seeing them.
    const FingerprintDims dims = load_union_dims(db, s.id);
    detail::fill_names(s, dims, 64);
    return std::optional<FingerprintSummary>(std::move(s));
  });
}

Result<std::vector<MinuteCount>> SqliteStore::series(std::string_view id, UnixMs from, UnixMs to) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<MinuteCount>> {
    SQLite::Statement q(db,
                        "SELECT minute, count FROM fingerprint_minutes WHERE fingerprint_id = ?1 AND minute >= ?2 "
                        "AND minute < ?3 ORDER BY minute");
    q.bind(1, std::string(id));
    q.bind(2, static_cast<int64_t>(from));
    q.bind(3, static_cast<int64_t>(to));
    std::vector<MinuteCount> out;
    while (q.executeStep()) out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt64()});
    return out;
  });
}

Result<std::vector<StoredSample>> SqliteStore::samples(std::string_view id, std::size_t limit) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<StoredSample>> {
    SQLite::Statement q(db,
                        "SELECT ts, kind, message, service, host, labels FROM samples WHERE fingerprint_id = ?1 "
                        "ORDER BY CASE kind WHEN 'first' THEN 0 WHEN 'recent' THEN 1 ELSE 2 END, ts LIMIT ?2");
    q.bind(1, std::string(id));
    q.bind(2, static_cast<int64_t>(limit));
    std::vector<StoredSample> out;
    while (q.executeStep())
      out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                     q.getColumn(3).getString(), q.getColumn(4).getString(), q.getColumn(5).getString()});
    return out;
  });
}

Result<std::vector<ValueCount>> SqliteStore::values(std::string_view id, std::size_t per_position) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<ValueCount>> {
    const auto dims = load_dims(db, std::string(id));
    std::vector<ValueCount> out;
    for (std::size_t pos = 0; pos < dims.positions.size(); ++pos)
      for (auto& [v, c] : top_counts(dims.positions[pos].values, per_position))
        out.push_back({static_cast<int>(pos), v, c, dims.positions[pos].evicted});
    return out;
  });
}

Result<std::vector<SourceStat>> SqliteStore::source_stats() {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<SourceStat>> {
    SQLite::Statement q(db, "SELECT source, service, lines, events, kept FROM source_counts ORDER BY source, service");
    std::vector<SourceStat> out;
    while (q.executeStep())
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64(),
                     q.getColumn(3).getInt64(), q.getColumn(4).getInt64()});
    return out;
  });
}

Result<std::int64_t> SqliteStore::fingerprint_count() {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::int64_t> {
    return db.execAndGet("SELECT count(*) FROM fingerprints").getInt64();
  });
}

}  // namespace selfheal

namespace selfheal {
Result<FingerprintPage> SqliteStore::list(const FingerprintQuery& fq) {
  const char sort_code = detail::list_sort_code(fq.sort);
  std::optional<detail::ListCursor> cursor;
  if (!fq.cursor.empty()) {
    cursor = detail::parse_list_cursor(fq.cursor);
    if (!cursor || cursor->sort != sort_code)
      return Error{ErrorCode::bad_input, "invalid cursor (it must come from next_cursor of the same sort)"};
  }
  if (fq.limit == 0 || fq.limit > 1000) return Error{ErrorCode::bad_input, "limit must be between 1 and 1000"};
  const UnixMs rate_from = fq.now - fq.rate_window_ms;
  int min_sev = 0;
  if (!fq.min_severity.empty()) {
    auto s = parse_severity(fq.min_severity);
    if (!s) return Error{ErrorCode::bad_input, "unknown severity '" + fq.min_severity + "'"};
    min_sev = static_cast<int>(*s);
  }
  std::string sql = std::string("SELECT ") + summary_columns;
  std::string key_expr;
  if (fq.sort == FingerprintSort::rate) {
    // "Hot now": only fingerprints with events in the rate window, driven by the (small) recent minutes.
    sql += ", r.c AS recent FROM (SELECT fingerprint_id, sum(count) AS c FROM fingerprint_minutes WHERE minute >= "
           ":rate_from GROUP BY fingerprint_id) r JOIN fingerprints f ON f.id = r.fingerprint_id ";
    key_expr = "-r.c";
  } else {
    sql += ", 0 FROM fingerprints f ";
    key_expr = fq.sort == FingerprintSort::count ? "-(f.count + f.merged_count)" : "-f.last_seen";
  }
  sql += "WHERE 1=1";
  if (!fq.include_merged) sql += " AND f.merged_into = ''";
  if (!fq.status.empty()) sql += " AND +f.status = :status";  // '+': walk the sort index, filter as we go
  if (min_sev > 0) sql += " AND f.severity >= :min_sev";
  if (fq.since > 0) sql += " AND f.last_seen >= :since";
  if (!fq.service.empty())
    sql += " AND (f.id IN (SELECT fingerprint_id FROM fingerprint_services WHERE service = :service) OR f.id IN "
           "(SELECT m.merged_into FROM fingerprints m WHERE m.merged_into != '' AND m.id IN (SELECT fingerprint_id "
           "FROM fingerprint_services WHERE service = :service)))";
  if (!fq.q.empty()) sql += " AND (instr(lower(f.template), lower(:q)) > 0 OR f.id LIKE :q_prefix)";
  if (cursor) sql += " AND (" + key_expr + ", f.id) > (:ckey, :cid)";
  sql += " ORDER BY " + key_expr + ", f.id LIMIT :limit";
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<FingerprintPage> {
    SQLite::Statement q(db, sql);
    auto bind_if = [&](const char* name, auto value) {
      int idx = q.getIndex(name);
      if (idx > 0) q.bind(idx, value);
    };
    bind_if(":rate_from", static_cast<int64_t>(rate_from));
    bind_if(":status", fq.status);
    bind_if(":min_sev", min_sev);
    bind_if(":since", static_cast<int64_t>(fq.since));
    bind_if(":service", fq.service);
    bind_if(":q", fq.q);
    bind_if(":q_prefix", fq.q + "%");
    if (cursor) {
      bind_if(":ckey", static_cast<int64_t>(cursor->key));
      bind_if(":cid", cursor->id);
    }
    bind_if(":limit", static_cast<int64_t>(fq.limit + 1));
    FingerprintPage page;
    while (q.executeStep()) {
      FingerprintRow row;
      row.summary = read_summary(q);
      row.total = q.getColumn(12).getInt64();
      row.recent = q.getColumn(13).getInt64();
      page.rows.push_back(std::move(row));
    }
    if (page.rows.size() > fq.limit) {
      page.rows.pop_back();
      page.next_cursor = detail::list_cursor_after(fq, page.rows.back());
    }
    // Services and hosts of the page's rows (bounded).
    for (auto& row : page.rows) detail::fill_names(row.summary, load_union_dims(db, row.summary.id), 16);
    return page;
  });
}

Result<std::vector<std::pair<std::string, std::vector<MinuteCount>>>> SqliteStore::recent_series(
    const std::vector<std::string>& ids, UnixMs from) {
  using Out = std::vector<std::pair<std::string, std::vector<MinuteCount>>>;
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<Out> {
    Out out;
    SQLite::Statement q(db,
                        "SELECT minute, count FROM fingerprint_minutes WHERE fingerprint_id = ?1 AND minute >= ?2 "
                        "ORDER BY minute");
    for (const auto& id : ids) {
      q.bind(1, id);
      q.bind(2, static_cast<int64_t>(from));
      std::vector<MinuteCount> s;
      while (q.executeStep()) s.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt64()});
      q.reset();
      out.emplace_back(id, std::move(s));
    }
    return out;
  });
}

Result<std::vector<MinuteCount>> SqliteStore::hours(std::string_view id, UnixMs from, UnixMs to) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<MinuteCount>> {
    SQLite::Statement q(db,
                        "SELECT hour, count FROM fingerprint_hours WHERE fingerprint_id = ?1 AND hour >= ?2 AND hour < "
                        "?3 ORDER BY hour");
    q.bind(1, std::string(id));
    q.bind(2, static_cast<int64_t>(from));
    q.bind(3, static_cast<int64_t>(to));
    std::vector<MinuteCount> out;
    while (q.executeStep()) out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt64()});
    return out;
  });
}

Result<std::vector<DistinctEstimate>> SqliteStore::distinct_values(std::string_view id) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<DistinctEstimate>> {
    const auto dims = load_dims(db, std::string(id));
    std::vector<DistinctEstimate> out;
    for (std::size_t pos = 0; pos < dims.positions.size(); ++pos)
      if (!dims.positions[pos].values.empty() || dims.positions[pos].evicted)
        out.push_back({static_cast<int>(pos), dims.distinct(static_cast<int>(pos)), dims.positions[pos].evicted});
    return out;
  });
}

Result<std::vector<std::string>> SqliteStore::merged_children(std::string_view id) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<std::string>> {
    SQLite::Statement q(db, "SELECT source_id FROM merges WHERE target_id = ?1 ORDER BY source_id");
    q.bind(1, std::string(id));
    std::vector<std::string> out;
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  });
}

Result<PruneReport> SqliteStore::prune(const RetentionPolicy& p) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<PruneReport> {
    PruneReport rep;
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    const UnixMs rollup_cut = minute_of(p.now - p.minute_rollup_after_ms);
    const UnixMs retention_cut = p.now - p.retention_ms;
    SQLite::Statement roll(db,
                           "INSERT INTO fingerprint_hours(fingerprint_id, hour, count) SELECT fingerprint_id, "
                           "minute - (minute % 3600000), sum(count) FROM fingerprint_minutes WHERE minute < ?1 "
                           "GROUP BY 1, 2 ON CONFLICT(fingerprint_id, hour) DO UPDATE SET count = count + excluded.count");
    roll.bind(1, static_cast<int64_t>(rollup_cut));
    roll.exec();
    SQLite::Statement del_min(db, "DELETE FROM fingerprint_minutes WHERE minute < ?1");
    del_min.bind(1, static_cast<int64_t>(rollup_cut));
    rep.minutes_rolled_up = del_min.exec();
    SQLite::Statement del_hours(db, "DELETE FROM fingerprint_hours WHERE hour < ?1");
    del_hours.bind(1, static_cast<int64_t>(retention_cut));
    rep.hours_pruned = del_hours.exec();
    SQLite::Statement del_samples(db,
                                  "DELETE FROM samples WHERE ts < ?1 AND (kind <> 'first' OR fingerprint_id IN (SELECT "
                                  "id FROM fingerprints WHERE -last_seen > -?1))");  // -last_seen: uses fingerprints_by_recency
    del_samples.bind(1, static_cast<int64_t>(retention_cut));
    rep.samples_pruned = del_samples.exec();
    SQLite::Statement del_dl(db, "DELETE FROM dead_letters WHERE ts < ?1");
    del_dl.bind(1, static_cast<int64_t>(retention_cut));
    rep.dead_letters_pruned = del_dl.exec();
    // Healing history (the seed's cleanup_old_healing_data): finished runs, decided approvals,
    // ended throttles and LLM attempts older than the cut. Running or pending-verification runs,
    // pending approvals and active throttles stay whatever their age; suggestions are kept.
    const UnixMs healing_cut = p.now - std::max(p.retention_ms, p.min_healing_history_ms);
    const char* healing_deletes[] = {
        "DELETE FROM healing_runs WHERE ts < ?1 AND outcome <> 'running' AND verification <> 'pending'",
        "DELETE FROM approvals WHERE created_at < ?1 AND status <> 'pending'",
        "DELETE FROM throttles WHERE applied_at < ?1 AND status <> 'active'",
        "DELETE FROM llm_attempts WHERE ts < ?1",
    };
    for (const char* sql : healing_deletes) {
      SQLite::Statement del(db, sql);
      del.bind(1, static_cast<int64_t>(healing_cut));
      rep.healing_rows_pruned += del.exec();
    }
    tx.commit();
    return rep;
  });
}

}  // namespace selfheal
