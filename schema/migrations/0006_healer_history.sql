-- 0006: repeated skips collapse into one history row (count, first/last time); the escalation step
-- of an episode survives a restart.
ALTER TABLE healing_runs ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;  -- identical consecutive skips
ALTER TABLE healing_runs ADD COLUMN last_ts INTEGER NOT NULL DEFAULT 0;  -- time of the latest repeat (0: ts)
-- Remediation steps (not notify/suggest pages) are what the breaker, rate limit and cooldown count.
ALTER TABLE healing_runs ADD COLUMN remediation INTEGER NOT NULL DEFAULT 0;
UPDATE healing_runs SET remediation = 1 WHERE action_type IN ('exec', 'http', 'throttle', 'failover');

CREATE TABLE healing_escalations (       -- next step of an escalation episode per (strategy, fingerprint, target)
  strategy       TEXT NOT NULL,
  fingerprint_id TEXT NOT NULL,
  target         TEXT NOT NULL,
  step           INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (strategy, fingerprint_id, target)
) WITHOUT ROWID;

-- A merge target's services/hosts are the union of its members (fingerprint detail, scope filters).
CREATE INDEX IF NOT EXISTS fingerprints_by_merged_into ON fingerprints(merged_into) WHERE merged_into != '';
