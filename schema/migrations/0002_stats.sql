-- 0002: lifecycle, merges, audit, hourly roll-up.
ALTER TABLE fingerprints ADD COLUMN status_changed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fingerprints ADD COLUMN status_changed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE fingerprints ADD COLUMN ignore_until_ms INTEGER NOT NULL DEFAULT 0;     -- 0: no time bound
ALTER TABLE fingerprints ADD COLUMN ignore_until_count INTEGER NOT NULL DEFAULT 0;  -- total count that ends it
ALTER TABLE fingerprints ADD COLUMN ignore_rate_per_min INTEGER NOT NULL DEFAULT 0; -- a minute above this ends it
ALTER TABLE fingerprints ADD COLUMN service TEXT NOT NULL DEFAULT '';               -- first service seen (caps)
ALTER TABLE fingerprints ADD COLUMN merged_count INTEGER NOT NULL DEFAULT 0;        -- counts of ids merged into this
CREATE INDEX fingerprints_by_status ON fingerprints(status, last_seen);
-- Sort orders of the listing API, as (-key, id) so a cursor is one row-value comparison in index order.
CREATE INDEX fingerprints_by_total ON fingerprints(-(count + merged_count), id);
CREATE INDEX fingerprints_by_recency ON fingerprints(-last_seen, id);
CREATE INDEX fingerprint_minutes_by_minute ON fingerprint_minutes(minute);
CREATE INDEX fingerprint_names_by_name ON fingerprint_names(kind, name, fingerprint_id);

CREATE TABLE fingerprint_value_hll (    -- HyperLogLog registers per <*> position: distinct-count estimate
  fingerprint_id TEXT NOT NULL,
  position       INTEGER NOT NULL,
  registers      BLOB NOT NULL,
  PRIMARY KEY (fingerprint_id, position)
) WITHOUT ROWID;

CREATE TABLE fingerprint_hours (       -- minutes older than the roll-up age are summed here
  fingerprint_id TEXT NOT NULL,
  hour           INTEGER NOT NULL,       -- hour start, Unix ms
  count          INTEGER NOT NULL,
  PRIMARY KEY (fingerprint_id, hour)
) WITHOUT ROWID;

CREATE TABLE merges (                   -- future events of source_id count on target_id
  source_id  TEXT PRIMARY KEY,
  target_id  TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE audit_log (                -- every lifecycle, merge and rule change: who and when
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  ts      INTEGER NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail  TEXT NOT NULL DEFAULT ''
);
