#include "schema/sqlite_store.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include "schema/detail/sqlite_access.hpp"

namespace selfheal {

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
                           "last_seen, severity, samples_seen) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?5) "
                           "ON CONFLICT(id) DO UPDATE SET count = count + excluded.count, "
                           "first_seen = min(first_seen, excluded.first_seen), "
                           "last_seen = max(last_seen, excluded.last_seen), "
                           "severity = max(severity, excluded.severity), "
                           "samples_seen = samples_seen + excluded.count "
                           "RETURNING count, status, resolved_at, samples_seen");
      SQLite::Statement reopen(db,
                               "UPDATE fingerprints SET status='unresolved', regressed_at=?2 WHERE id=?1");
      SQLite::Statement minute(db,
                               "INSERT INTO fingerprint_minutes(fingerprint_id, minute, count) VALUES(?1,?2,?3) "
                               "ON CONFLICT(fingerprint_id, minute) DO UPDATE SET count = count + excluded.count");
      SQLite::Statement name(db,
                             "INSERT INTO fingerprint_names(fingerprint_id, kind, name, count) VALUES(?1,?2,?3,?4) "
                             "ON CONFLICT(fingerprint_id, kind, name) DO UPDATE SET count = count + excluded.count");
      SQLite::Statement value_up(db,
                                 "UPDATE fingerprint_values SET count = count + ?4 WHERE fingerprint_id=?1 AND "
                                 "position=?2 AND value=?3");
      SQLite::Statement value_ins(db,
                                  "INSERT INTO fingerprint_values(fingerprint_id, position, value, count) "
                                  "SELECT ?1, ?2, ?3, ?4 WHERE (SELECT count(*) FROM fingerprint_values WHERE "
                                  "fingerprint_id=?1 AND position=?2) < ?5");
      SQLite::Statement sample(db,
                               "INSERT OR REPLACE INTO samples(fingerprint_id, kind, slot, ts, message, service, "
                               "host, labels) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
      SQLite::Statement first_sample(db,
                                     "INSERT OR IGNORE INTO samples(fingerprint_id, kind, slot, ts, message, "
                                     "service, host, labels) VALUES(?1,'first',?2,?3,?4,?5,?6,?7)");
      std::minstd_rand rng(static_cast<unsigned>(now));
      for (const auto& [id, d] : batch.fingerprints()) {
        up.bind(1, id);
        up.bind(2, d.info.template_text);
        up.bind(3, d.info.exception_type);
        up.bind(4, d.info.frames_json.empty() ? std::string("[]") : d.info.frames_json);
        up.bind(5, static_cast<int64_t>(d.count));
        up.bind(6, static_cast<int64_t>(d.first));
        up.bind(7, static_cast<int64_t>(d.last));
        up.bind(8, static_cast<int>(d.max_level));
        std::int64_t total = 0, resolved_at = 0, seen = 0;
        std::string status;
        if (up.executeStep()) {
          total = up.getColumn(0).getInt64();
          status = up.getColumn(1).getString();
          resolved_at = up.getColumn(2).getInt64();
          seen = up.getColumn(3).getInt64();
        }
        up.reset();
        up.clearBindings();
        ++receipt.fingerprints;
        receipt.touched_ids.push_back(id);
        receipt.events += d.count;
        const bool is_new = total == d.count;
        if (is_new) receipt.new_ids.push_back(id);
        if (status == "resolved" && d.last > resolved_at + opts_.regression_grace_ms) {
          reopen.bind(1, id);
          reopen.bind(2, static_cast<int64_t>(now));
          reopen.exec();
          reopen.reset();
          receipt.regressed_ids.push_back(id);
        }
        for (const auto& [m, c] : d.minutes) {
          minute.bind(1, id);
          minute.bind(2, static_cast<int64_t>(m));
          minute.bind(3, static_cast<int64_t>(c));
          minute.exec();
          minute.reset();
        }
        auto names = [&](const std::map<std::string, std::int64_t>& m, const char* kind) {
          for (const auto& [n, c] : m) {
            name.bind(1, id);
            name.bind(2, kind);
            name.bind(3, n);
            name.bind(4, static_cast<int64_t>(c));
            name.exec();
            name.reset();
          }
        };
        names(d.services, "service");
        names(d.hosts, "host");
        for (const auto& [k, c] : d.values) {
          value_up.bind(1, id);
          value_up.bind(2, k.first);
          value_up.bind(3, k.second);
          value_up.bind(4, static_cast<int64_t>(c));
          int changed = value_up.exec();
          value_up.reset();
          if (changed == 0) {
            value_ins.bind(1, id);
            value_ins.bind(2, k.first);
            value_ins.bind(3, k.second);
            value_ins.bind(4, static_cast<int64_t>(c));
            value_ins.bind(5, static_cast<int64_t>(opts_.max_values_per_position));
            value_ins.exec();
            value_ins.reset();
          }
        }
        // Samples: the first few ever (INSERT OR IGNORE keeps the oldest), a ring of the most recent,
        // and a reservoir (Algorithm R over samples_seen) so old and typical occurrences stay visible.
        const std::int64_t seen_before = seen - d.count;
        for (std::size_t i = 0; i < d.samples.size(); ++i) {
          const auto& s = d.samples[i];
          const std::int64_t ordinal = seen_before + static_cast<std::int64_t>(i);
          if (static_cast<std::size_t>(ordinal) < opts_.first_samples) {
            first_sample.bind(1, id);
            first_sample.bind(2, static_cast<int64_t>(ordinal));
            first_sample.bind(3, static_cast<int64_t>(s.ts));
            first_sample.bind(4, s.message);
            first_sample.bind(5, s.service);
            first_sample.bind(6, s.host);
            first_sample.bind(7, s.labels_json);
            first_sample.exec();
            first_sample.reset();
            continue;
          }
          auto put = [&](const char* kind, std::int64_t slot) {
            sample.bind(1, id);
            sample.bind(2, kind);
            sample.bind(3, static_cast<int64_t>(slot));
            sample.bind(4, static_cast<int64_t>(s.ts));
            sample.bind(5, s.message);
            sample.bind(6, s.service);
            sample.bind(7, s.host);
            sample.bind(8, s.labels_json);
            sample.exec();
            sample.reset();
          };
          put("recent", ordinal % static_cast<std::int64_t>(opts_.recent_samples));
          std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ordinal, 0));
          std::int64_t j = pick(rng);
          if (j < static_cast<std::int64_t>(opts_.reservoir_samples)) put("reservoir", j);
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
  if (r) r->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
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
    SQLite::Statement q(db,
                        "SELECT id, template, exception_type, frames, status, severity, count, first_seen, "
                        "last_seen, merged_into, resolved_at, regressed_at FROM fingerprints WHERE id = ?1");
    q.bind(1, std::string(id));
    if (!q.executeStep()) return std::optional<FingerprintSummary>{};
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
    SQLite::Statement n(db,
                        "SELECT kind, name, count FROM fingerprint_names WHERE fingerprint_id = ?1 "
                        "ORDER BY count DESC, name LIMIT 64");
    n.bind(1, std::string(id));
    while (n.executeStep()) {
      NamedCount nc{n.getColumn(1).getString(), n.getColumn(2).getInt64()};
      (n.getColumn(0).getString() == "service" ? s.services : s.hosts).push_back(std::move(nc));
    }
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
    SQLite::Statement q(db,
                        "SELECT position, value, count FROM (SELECT position, value, count, row_number() OVER "
                        "(PARTITION BY position ORDER BY count DESC, value) AS rn FROM fingerprint_values WHERE "
                        "fingerprint_id = ?1) WHERE rn <= ?2 ORDER BY position, count DESC, value");
    q.bind(1, std::string(id));
    q.bind(2, static_cast<int64_t>(per_position));
    std::vector<ValueCount> out;
    while (q.executeStep())
      out.push_back({q.getColumn(0).getInt(), q.getColumn(1).getString(), q.getColumn(2).getInt64()});
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
