-- 0003: the healer's history, guard state, approvals, throttles and failover state.
CREATE TABLE healing_runs (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  ts             INTEGER NOT NULL,               -- decision time, Unix ms
  strategy       TEXT NOT NULL,
  fingerprint_id TEXT NOT NULL,
  target         TEXT NOT NULL DEFAULT '',
  action         TEXT NOT NULL DEFAULT '',
  action_type    TEXT NOT NULL DEFAULT '',
  step           INTEGER NOT NULL DEFAULT 0,
  decision       TEXT NOT NULL CHECK (decision IN ('ran','skipped','approval_requested')),
  reason         TEXT NOT NULL DEFAULT '',
  outcome        TEXT NOT NULL DEFAULT '',      -- running | success | failure | error | ''
  duration_ms    INTEGER NOT NULL DEFAULT 0,
  exit_code      INTEGER NOT NULL DEFAULT 0,
  output         TEXT NOT NULL DEFAULT '',
  error          TEXT NOT NULL DEFAULT '',
  attempts       INTEGER NOT NULL DEFAULT 0,
  verification   TEXT NOT NULL DEFAULT '',      -- pending | verified | not_verified | skipped | ''
  rate_before    REAL NOT NULL DEFAULT 0,
  rate_after     REAL NOT NULL DEFAULT 0,
  verified_at    INTEGER NOT NULL DEFAULT 0,
  approval_id    INTEGER NOT NULL DEFAULT 0,
  dry_run        INTEGER NOT NULL DEFAULT 0,
  detail         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX healing_runs_by_fingerprint ON healing_runs(fingerprint_id, id);
CREATE INDEX healing_runs_by_strategy ON healing_runs(strategy, decision, ts);
CREATE INDEX healing_runs_by_target ON healing_runs(strategy, target, decision, ts);
CREATE INDEX healing_runs_pending ON healing_runs(verification) WHERE verification = 'pending';

CREATE TABLE healing_breakers (           -- circuit breaker per (strategy, target), survives restarts
  strategy             TEXT NOT NULL,
  target               TEXT NOT NULL,
  phase                TEXT NOT NULL DEFAULT 'closed' CHECK (phase IN ('closed','open','half_open')),
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  opened_at            INTEGER NOT NULL DEFAULT 0,
  trial_in_flight      INTEGER NOT NULL DEFAULT 0,
  opens                INTEGER NOT NULL DEFAULT 0,
  updated_at           INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (strategy, target)
) WITHOUT ROWID;

CREATE TABLE healing_state (              -- small persisted timestamps (notify cooldowns...)
  key        TEXT PRIMARY KEY,
  value      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE approvals (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  strategy       TEXT NOT NULL,
  fingerprint_id TEXT NOT NULL,
  target         TEXT NOT NULL DEFAULT '',
  step           INTEGER NOT NULL DEFAULT 0,
  action         TEXT NOT NULL DEFAULT '',
  plan           TEXT NOT NULL DEFAULT '{}',
  status         TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending','approved','rejected','expired','consumed')),
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  decided_by     TEXT NOT NULL DEFAULT '',
  decided_at     INTEGER NOT NULL DEFAULT 0,
  note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approvals_by_plan ON approvals(strategy, fingerprint_id, step, id);
CREATE INDEX approvals_by_status ON approvals(status, id);

CREATE TABLE throttles (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  strategy       TEXT NOT NULL,
  action         TEXT NOT NULL,
  fingerprint_id TEXT NOT NULL,
  target         TEXT NOT NULL,
  applied_at     INTEGER NOT NULL,
  restore_at     INTEGER NOT NULL,
  status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','restored','restore_failed')),
  fields         TEXT NOT NULL DEFAULT '{}',
  restored_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX throttles_active ON throttles(status, restore_at);

CREATE TABLE failover_state (
  key         TEXT PRIMARY KEY,             -- "<strategy>/<action>"
  active      TEXT NOT NULL,
  previous    TEXT NOT NULL DEFAULT '',
  switched_at INTEGER NOT NULL DEFAULT 0,
  last_result TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- Seed views. Only columns of 0001_core.sql are referenced on fingerprints.
CREATE VIEW healing_overview AS
SELECT f.id AS fingerprint_id,
       f.template AS template,
       f.status AS status,
       f.count AS count,
       f.last_seen AS last_seen,
       (SELECT r.strategy FROM healing_runs r WHERE r.fingerprint_id = f.id ORDER BY r.id DESC LIMIT 1) AS last_strategy,
       (SELECT r.action FROM healing_runs r WHERE r.fingerprint_id = f.id AND r.decision = 'ran'
         ORDER BY r.id DESC LIMIT 1) AS last_action,
       (SELECT r.ts FROM healing_runs r WHERE r.fingerprint_id = f.id AND r.decision = 'ran'
         ORDER BY r.id DESC LIMIT 1) AS last_run_at,
       (SELECT r.outcome FROM healing_runs r WHERE r.fingerprint_id = f.id AND r.decision = 'ran'
         ORDER BY r.id DESC LIMIT 1) AS last_outcome,
       (SELECT r.verification FROM healing_runs r WHERE r.fingerprint_id = f.id AND r.decision = 'ran'
         ORDER BY r.id DESC LIMIT 1) AS last_verification,
       (SELECT count(*) FROM healing_runs r WHERE r.fingerprint_id = f.id AND r.decision = 'ran') AS runs,
       (SELECT count(*) FROM approvals a WHERE a.fingerprint_id = f.id AND a.status = 'pending') AS pending_approvals,
       CASE
         WHEN EXISTS (SELECT 1 FROM approvals a WHERE a.fingerprint_id = f.id AND a.status = 'pending') THEN 'awaiting_approval'
         WHEN NOT EXISTS (SELECT 1 FROM healing_runs r WHERE r.fingerprint_id = f.id) THEN 'none'
         ELSE coalesce((SELECT CASE
                                 WHEN r.outcome = 'running' THEN 'healing'
                                 WHEN r.verification = 'pending' THEN 'verifying'
                                 WHEN r.verification = 'verified' THEN 'healed'
                                 WHEN r.outcome = 'success' THEN 'acted'
                                 ELSE 'failed' END
                        FROM healing_runs r WHERE r.fingerprint_id = f.id AND r.decision = 'ran'
                        ORDER BY r.id DESC LIMIT 1), 'skipped')
       END AS healing_status
FROM fingerprints f
WHERE EXISTS (SELECT 1 FROM healing_runs r WHERE r.fingerprint_id = f.id)
   OR EXISTS (SELECT 1 FROM approvals a WHERE a.fingerprint_id = f.id);

CREATE VIEW recent_healing_activity AS
SELECT r.id, r.ts, r.strategy, r.fingerprint_id, r.target, r.action, r.action_type, r.decision, r.reason,
       r.outcome, r.verification, r.duration_ms, r.detail
FROM healing_runs r
WHERE r.ts >= (CAST(strftime('%s','now') AS INTEGER) * 1000 - 86400000)
ORDER BY r.id DESC;

CREATE VIEW healing_stats AS
SELECT strategy,
       count(*) AS decisions,
       sum(decision = 'ran') AS runs,
       sum(decision = 'skipped') AS skipped,
       sum(decision = 'ran' AND outcome = 'success') AS succeeded,
       sum(decision = 'ran' AND outcome IN ('failure','error')) AS failed,
       sum(verification = 'verified') AS verified,
       sum(verification = 'not_verified') AS not_verified,
       CASE WHEN sum(decision = 'ran' AND outcome IN ('success','failure','error') AND verification != 'pending') = 0
            THEN NULL
            ELSE round(1.0 * sum(decision = 'ran' AND outcome = 'success' AND verification IN ('verified','skipped',''))
                       / sum(decision = 'ran' AND outcome IN ('success','failure','error') AND verification != 'pending'), 4)
       END AS success_rate,
       max(ts) AS last_ts
FROM healing_runs
GROUP BY strategy;
