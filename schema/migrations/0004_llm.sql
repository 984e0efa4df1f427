-- 0004: LLM fix suggestions, every provider attempt, and the daily budget.
CREATE TABLE llm_suggestions (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  fingerprint_id    TEXT NOT NULL,
  status            TEXT NOT NULL DEFAULT 'proposed'
                    CHECK (status IN ('proposed','accepted','rejected','applied')),
  summary           TEXT NOT NULL,
  root_cause        TEXT NOT NULL,
  suggested_fix     TEXT NOT NULL,
  evidence          TEXT NOT NULL DEFAULT '[]',  -- JSON [{"text":..,"supported":bool}]
  model_confidence  REAL NOT NULL,               -- the model's number, clamped to [0,1]
  confidence        REAL NOT NULL,               -- displayed: model x evidence checks (llm/README.md)
  confidence_detail TEXT NOT NULL DEFAULT '{}',
  provider          TEXT NOT NULL,
  model             TEXT NOT NULL,
  context_hash      TEXT NOT NULL,
  cache_key         TEXT NOT NULL,               -- fingerprint + context hash + model
  prompt_tokens     INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd          REAL NOT NULL DEFAULT 0,
  latency_ms        INTEGER NOT NULL DEFAULT 0,
  requested_by      TEXT NOT NULL DEFAULT '',
  created_at        INTEGER NOT NULL,
  reviewed_by       TEXT NOT NULL DEFAULT '',
  reviewed_at       INTEGER NOT NULL DEFAULT 0,
  review_comment    TEXT NOT NULL DEFAULT '',
  applied_by        TEXT NOT NULL DEFAULT '',
  applied_at        INTEGER NOT NULL DEFAULT 0,
  apply_comment     TEXT NOT NULL DEFAULT '',
  raw               TEXT NOT NULL DEFAULT ''     -- the model's answer as received
);
CREATE INDEX llm_suggestions_by_fingerprint ON llm_suggestions(fingerprint_id, created_at);
CREATE INDEX llm_suggestions_by_cache_key ON llm_suggestions(cache_key);
CREATE INDEX llm_suggestions_by_status ON llm_suggestions(status, id);

CREATE TABLE llm_attempts (              -- every provider call and cache hit, failed ones with the raw answer
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  fingerprint_id    TEXT NOT NULL,
  ts                INTEGER NOT NULL,
  provider          TEXT NOT NULL,
  model             TEXT NOT NULL,
  outcome           TEXT NOT NULL CHECK (outcome IN ('ok','failed','cached','over_budget')),
  error_code        TEXT NOT NULL DEFAULT '',
  error             TEXT NOT NULL DEFAULT '',
  raw               TEXT NOT NULL DEFAULT '',
  prompt_tokens     INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  latency_ms        INTEGER NOT NULL DEFAULT 0,
  http_attempts     INTEGER NOT NULL DEFAULT 0,
  suggestion_id     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX llm_attempts_by_fingerprint ON llm_attempts(fingerprint_id, ts);

CREATE TABLE llm_budget (                -- per UTC day
  day      TEXT PRIMARY KEY,             -- YYYY-MM-DD
  calls    INTEGER NOT NULL DEFAULT 0,
  tokens   INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0
) WITHOUT ROWID;
