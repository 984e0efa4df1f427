-- 0001 (PostgreSQL): the event side and lifecycle, in the shape SQLite's 0001..0007 end in.
-- Times are Unix milliseconds (BIGINT) as in SQLite, so both backends answer the same.
CREATE TABLE fingerprints (
  id                  TEXT COLLATE "C" PRIMARY KEY,  -- byte order, as SQLite sorts (cursor pagination)
  template            TEXT NOT NULL,
  exception_type      TEXT NOT NULL DEFAULT '',
  frames              TEXT NOT NULL DEFAULT '[]',
  count               BIGINT NOT NULL DEFAULT 0,
  first_seen          BIGINT NOT NULL,
  last_seen           BIGINT NOT NULL,
  severity            INTEGER NOT NULL DEFAULT 1,
  status              TEXT NOT NULL DEFAULT 'unresolved' CHECK (status IN ('unresolved','resolved','ignored')),
  resolved_at         BIGINT NOT NULL DEFAULT 0,
  regressed_at        BIGINT NOT NULL DEFAULT 0,
  merged_into         TEXT NOT NULL DEFAULT '',
  samples_seen        BIGINT NOT NULL DEFAULT 0,
  algorithm_version   INTEGER NOT NULL DEFAULT 1,
  status_changed_at   BIGINT NOT NULL DEFAULT 0,
  status_changed_by   TEXT NOT NULL DEFAULT '',
  ignore_until_ms     BIGINT NOT NULL DEFAULT 0,
  ignore_until_count  BIGINT NOT NULL DEFAULT 0,
  ignore_rate_per_min BIGINT NOT NULL DEFAULT 0,
  service             TEXT NOT NULL DEFAULT '',
  merged_count        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX fingerprints_by_total ON fingerprints((-(count + merged_count)), id);
CREATE INDEX fingerprints_by_recency ON fingerprints((-last_seen), id);
CREATE INDEX fingerprints_by_merged_into ON fingerprints(merged_into) WHERE merged_into <> '';

CREATE TABLE fingerprint_minutes (
  fingerprint_id TEXT NOT NULL,
  minute         BIGINT NOT NULL,
  count          BIGINT NOT NULL,
  PRIMARY KEY (fingerprint_id, minute)
);
CREATE INDEX fingerprint_minutes_by_minute ON fingerprint_minutes(minute);

CREATE TABLE fingerprint_hours (
  fingerprint_id TEXT NOT NULL,
  hour           BIGINT NOT NULL,
  count          BIGINT NOT NULL,
  PRIMARY KEY (fingerprint_id, hour)
);

CREATE TABLE fingerprint_dims (       -- schema/fingerprint_dims.hpp blob: services, hosts, value sketches
  fingerprint_id TEXT PRIMARY KEY,
  data           BYTEA NOT NULL
);

CREATE TABLE fingerprint_services (
  service        TEXT NOT NULL,
  fingerprint_id TEXT NOT NULL,
  PRIMARY KEY (service, fingerprint_id)
);

CREATE TABLE samples (
  fingerprint_id TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('first','recent','reservoir')),
  slot           BIGINT NOT NULL,
  ts             BIGINT NOT NULL,
  message        TEXT NOT NULL,
  service        TEXT NOT NULL DEFAULT '',
  host           TEXT NOT NULL DEFAULT '',
  labels         TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (fingerprint_id, kind, slot)
);

CREATE TABLE dead_letters (
  id           BIGSERIAL PRIMARY KEY,
  ts           BIGINT NOT NULL,
  source       TEXT NOT NULL,
  reason       TEXT NOT NULL,
  content_type TEXT NOT NULL DEFAULT '',
  payload      BYTEA NOT NULL,
  size         BIGINT NOT NULL,
  replayed     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE source_positions (       -- written in the same transaction as the events they cover
  source     TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (source, key)
);

CREATE TABLE source_counts (
  source  TEXT NOT NULL,
  service TEXT NOT NULL,
  lines   BIGINT NOT NULL DEFAULT 0,
  events  BIGINT NOT NULL DEFAULT 0,
  kept    BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (source, service)
);

CREATE TABLE merges (
  source_id  TEXT PRIMARY KEY,
  target_id  TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX merges_by_target ON merges(target_id);

CREATE TABLE audit_log (
  id      BIGSERIAL PRIMARY KEY,
  ts      BIGINT NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_subject ON audit_log(subject, id);

CREATE TABLE commit_tokens (          -- one per event commit: a COMMIT whose answer was lost is looked up here
  token TEXT PRIMARY KEY,
  at    BIGINT NOT NULL
);
