-- 0001: the tables the pipeline keeps first.
CREATE TABLE fingerprints (
  id                TEXT PRIMARY KEY,
  template          TEXT NOT NULL,
  exception_type    TEXT NOT NULL DEFAULT '',
  frames            TEXT NOT NULL DEFAULT '[]',
  count             INTEGER NOT NULL DEFAULT 0,
  first_seen        INTEGER NOT NULL,            -- Unix ms
  last_seen         INTEGER NOT NULL,
  severity          INTEGER NOT NULL DEFAULT 1,  -- 0 debug .. 4 critical (max level seen)
  status            TEXT NOT NULL DEFAULT 'unresolved' CHECK (status IN ('unresolved','resolved','ignored')),
  resolved_at       INTEGER NOT NULL DEFAULT 0,
  regressed_at      INTEGER NOT NULL DEFAULT 0,
  merged_into       TEXT NOT NULL DEFAULT '',
  samples_seen      INTEGER NOT NULL DEFAULT 0,
  algorithm_version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX fingerprints_by_last_seen ON fingerprints(last_seen);
CREATE INDEX fingerprints_by_count ON fingerprints(count);

CREATE TABLE fingerprint_minutes (
  fingerprint_id TEXT NOT NULL,
  minute         INTEGER NOT NULL,  -- minute start, Unix ms
  count          INTEGER NOT NULL,
  PRIMARY KEY (fingerprint_id, minute)
) WITHOUT ROWID;

CREATE TABLE fingerprint_names (      -- services and hosts affected, bounded per fingerprint
  fingerprint_id TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('service','host')),
  name           TEXT NOT NULL,
  count          INTEGER NOT NULL,
  PRIMARY KEY (fingerprint_id, kind, name)
) WITHOUT ROWID;

CREATE TABLE fingerprint_values (     -- distribution of the values behind each <*>
  fingerprint_id TEXT NOT NULL,
  position       INTEGER NOT NULL,
  value          TEXT NOT NULL,
  count          INTEGER NOT NULL,
  PRIMARY KEY (fingerprint_id, position, value)
) WITHOUT ROWID;

CREATE TABLE samples (                -- bounded: first few, most recent ring, reservoir
  fingerprint_id TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('first','recent','reservoir')),
  slot           INTEGER NOT NULL,
  ts             INTEGER NOT NULL,
  message        TEXT NOT NULL,
  service        TEXT NOT NULL DEFAULT '',
  host           TEXT NOT NULL DEFAULT '',
  labels         TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (fingerprint_id, kind, slot)
) WITHOUT ROWID;

CREATE TABLE dead_letters (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  ts           INTEGER NOT NULL,
  source       TEXT NOT NULL,
  reason       TEXT NOT NULL,
  content_type TEXT NOT NULL DEFAULT '',
  payload      BLOB NOT NULL,
  size         INTEGER NOT NULL,
  replayed     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE source_positions (       -- written in the same transaction as the events they cover
  source     TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source, key)
) WITHOUT ROWID;

CREATE TABLE source_counts (          -- every line counted, per source and service
  source  TEXT NOT NULL,
  service TEXT NOT NULL,
  lines   INTEGER NOT NULL DEFAULT 0,
  events  INTEGER NOT NULL DEFAULT 0,
  kept    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source, service)
) WITHOUT ROWID;
