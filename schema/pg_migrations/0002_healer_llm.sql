-- 0002 (PostgreSQL): the healer's and the LLM's tables and the seed views, in the shape SQLite's
-- 0003, 0004 and 0006 end in.
CREATE TABLE healing_runs (
  id             BIGSERIAL PRIMARY KEY,
  ts             BIGINT NOT NULL,
  strategy       TEXT NOT NULL,
  fingerprint_id TEXT NOT NULL,
  target         TEXT NOT NULL DEFAULT '',
  action         TEXT NOT NULL DEFAULT '',
  action_type    TEXT NOT NULL DEFAULT '',
  step           INTEGER NOT NULL DEFAULT 0,
  decision       TEXT NOT NULL CHECK (decision IN ('ran','skipped','approval_requested')),
  reason         TEXT NOT NULL DEFAULT '',
  outcome        TEXT NOT NULL DEFAULT '',
  duration_ms    BIGINT NOT NULL DEFAULT 0,
  exit_code      INTEGER NOT NULL DEFAULT 0,
  output         TEXT NOT NULL DEFAULT '',
  error          TEXT NOT NULL DEFAULT '',
  attempts       INTEGER NOT NULL DEFAULT 0,
  verification   TEXT NOT NULL DEFAULT '',
  rate_before    DOUBLE PRECISION NOT NULL DEFAULT 0,
  rate_after     DOUBLE PRECISION NOT NULL DEFAULT 0,
  verified_at    BIGINT NOT NULL DEFAULT 0,
  approval_id    BIGINT NOT NULL DEFAULT 0,
  dry_run        INTEGER NOT NULL DEFAULT 0,
  detail         TEXT NOT NULL DEFAULT '',
  repeats        BIGINT NOT NULL DEFAULT 1,
  last_ts        BIGINT NOT NULL DEFAULT 0,
  remediation    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX healing_runs_by_fingerprint ON healing_runs(fingerprint_id, id);
CREATE INDEX healing_runs_by_strategy ON healing_runs(strategy, decision, ts);
CREATE INDEX healing_runs_by_target ON healing_runs(strategy, target, decision, ts);
CREATE INDEX healing_runs_pending ON healing_runs(verification) WHERE verification = 'pending';

CREATE TABLE healing_breakers (
  strategy             TEXT NOT NULL,
  target               TEXT NOT NULL,
  phase                TEXT NOT NULL DEFAULT 'closed' CHECK (phase IN ('closed','open','half_open')),
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  opened_at            BIGINT NOT NULL DEFAULT 0,
  trial_in_flight      INTEGER NOT NULL DEFAULT 0,
  opens                INTEGER NOT NULL DEFAULT 0,
  updated_at           BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (strategy, target)
);

CREATE TABLE healing_state (
  key   TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);

CREATE TABLE approvals (
  id             BIGSERIAL PRIMARY KEY,
  strategy       TEXT NOT NULL,
  fingerprint_id TEXT NOT NULL,
  target         TEXT NOT NULL DEFAULT '',
  step           INTEGER NOT NULL DEFAULT 0,
  action         TEXT NOT NULL DEFAULT '',
  plan           TEXT NOT NULL DEFAULT '{}',
  status         TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending','approved','rejected','expired','consumed')),
  created_at     BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL,
  decided_by     TEXT NOT NULL DEFAULT '',
  decided_at     BIGINT NOT NULL DEFAULT 0,
  note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approvals_by_plan ON approvals(strategy, fingerprint_id, step, id);
CREATE INDEX approvals_by_status ON approvals(status, id);

CREATE TABLE throttles (
  id             BIGSERIAL PRIMARY KEY,
  strategy       TEXT NOT NULL,
  action         TEXT NOT NULL,
  fingerprint_id TEXT NOT NULL,
  target         TEXT NOT NULL,
  applied_at     BIGINT NOT NULL,
  restore_at     BIGINT NOT NULL,
  status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','restored','restore_failed')),
  fields         TEXT NOT NULL DEFAULT '{}',
  restored_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX throttles_active ON throttles(status, restore_at);

CREATE TABLE failover_state (
  key         TEXT PRIMARY KEY,
  active      TEXT NOT NULL,
  previous    TEXT NOT NULL DEFAULT '',
  switched_at BIGINT NOT NULL DEFAULT 0,
  last_result TEXT NOT NULL DEFAULT ''
);

CREATE TABLE healing_escalations (
  strategy       TEXT NOT NULL,
  fingerprint_id TEXT NOT NULL,
  target         TEXT NOT NULL,
  step           INTEGER NOT NULL,
  updated_at     BIGINT NOT NULL,
  PRIMARY KEY (strategy, fingerprint_id, target)
);

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
WHERE r.ts >= (floor(extract(epoch FROM now()))::BIGINT * 1000 - 86400000)
ORDER BY r.id DESC;

CREATE VIEW healing_stats AS
SELECT strategy,
       count(*) AS decisions,
       count(*) FILTER (WHERE decision = 'ran') AS runs,
       count(*) FILTER (WHERE decision = 'skipped') AS skipped,
       count(*) FILTER (WHERE decision = 'ran' AND outcome = 'success') AS succeeded,
       count(*) FILTER (WHERE decision = 'ran' AND outcome IN ('failure','error')) AS failed,
       count(*) FILTER (WHERE verification = 'verified') AS verified,
       count(*) FILTER (WHERE verification = 'not_verified') AS not_verified,
       CASE WHEN count(*) FILTER (WHERE decision = 'ran' AND outcome IN ('success','failure','error')
                                  AND verification <> 'pending') = 0
            THEN NULL
            ELSE round(1.0 * count(*) FILTER (WHERE decision = 'ran' AND outcome = 'success'
                                              AND verification IN ('verified','skipped',''))
                       / count(*) FILTER (WHERE decision = 'ran' AND outcome IN ('success','failure','error')
                                          AND verification <> 'pending'), 4)::DOUBLE PRECISION
       END AS success_rate,
       max(ts) AS last_ts
FROM healing_runs
GROUP BY strategy;

CREATE TABLE llm_suggestions (
  id                BIGSERIAL PRIMARY KEY,
  fingerprint_id    TEXT NOT NULL,
  status            TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed','accepted','rejected','applied')),
  summary           TEXT NOT NULL,
  root_cause        TEXT NOT NULL,
  suggested_fix     TEXT NOT NULL,
  evidence          TEXT NOT NULL DEFAULT '[]',
  model_confidence  DOUBLE PRECISION NOT NULL,
  confidence        DOUBLE PRECISION NOT NULL,
  confidence_detail TEXT NOT NULL DEFAULT '{}',
  provider          TEXT NOT NULL,
  model             TEXT NOT NULL,
  context_hash      TEXT NOT NULL,
  cache_key         TEXT NOT NULL,
  prompt_tokens     BIGINT NOT NULL DEFAULT 0,
  completion_tokens BIGINT NOT NULL DEFAULT 0,
  cost_usd          DOUBLE PRECISION NOT NULL DEFAULT 0,
  latency_ms        BIGINT NOT NULL DEFAULT 0,
  requested_by      TEXT NOT NULL DEFAULT '',
  created_at        BIGINT NOT NULL,
  reviewed_by       TEXT NOT NULL DEFAULT '',
  reviewed_at       BIGINT NOT NULL DEFAULT 0,
  review_comment    TEXT NOT NULL DEFAULT '',
  applied_by        TEXT NOT NULL DEFAULT '',
  applied_at        BIGINT NOT NULL DEFAULT 0,
  apply_comment     TEXT NOT NULL DEFAULT '',
  raw               TEXT NOT NULL DEFAULT ''
);
CREATE INDEX llm_suggestions_by_fingerprint ON llm_suggestions(fingerprint_id, created_at);
CREATE INDEX llm_suggestions_by_cache_key ON llm_suggestions(cache_key);
CREATE INDEX llm_suggestions_by_status ON llm_suggestions(status, id);

CREATE TABLE llm_attempts (
  id                BIGSERIAL PRIMARY KEY,
  fingerprint_id    TEXT NOT NULL,
  ts                BIGINT NOT NULL,
  provider          TEXT NOT NULL,
  model             TEXT NOT NULL,
  outcome           TEXT NOT NULL CHECK (outcome IN ('ok','failed','cached','over_budget')),
  error_code        TEXT NOT NULL DEFAULT '',
  error             TEXT NOT NULL DEFAULT '',
  raw               TEXT NOT NULL DEFAULT '',
  prompt_tokens     BIGINT NOT NULL DEFAULT 0,
  completion_tokens BIGINT NOT NULL DEFAULT 0,
  latency_ms        BIGINT NOT NULL DEFAULT 0,
  http_attempts     INTEGER NOT NULL DEFAULT 0,
  suggestion_id     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX llm_attempts_by_fingerprint ON llm_attempts(fingerprint_id, ts);

CREATE TABLE llm_budget (
  day      TEXT PRIMARY KEY,
  calls    BIGINT NOT NULL DEFAULT 0,
  tokens   BIGINT NOT NULL DEFAULT 0,
  cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0
);
