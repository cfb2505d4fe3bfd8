-- Retraining jobs (issue #6). D1 is SQLite: one writer, so a conditional UPDATE is atomic.
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,                 -- derived from the delivery id: redeliveries map to one job
  delivery_id TEXT NOT NULL UNIQUE,
  model TEXT NOT NULL,
  request TEXT NOT NULL,               -- the webhook body (JSON), as verified
  state TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'running', 'succeeded', 'failed', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_expires_at INTEGER,            -- ms since epoch
  version TEXT,                        -- the version the job produced, once uploaded
  published INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  result TEXT,                         -- JSON: gate outcome and metrics
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_claimable ON jobs (state, created_at);

CREATE TABLE job_logs (
  job_id TEXT NOT NULL REFERENCES jobs (id),
  at INTEGER NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX job_logs_by_job ON job_logs (job_id, at);
