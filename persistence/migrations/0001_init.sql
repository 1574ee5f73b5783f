-- The jobs and job_executions tables keep GigQ's names and column meanings,
-- so a GigQ user recognises them. Times are UTC RFC 3339 text with nine
-- fractional digits, so they sort as text. timeout and retry_delay are
-- seconds (REAL, so sub-second values work).
CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    function      TEXT NOT NULL,
    params        TEXT NOT NULL DEFAULT '{}',
    priority      INTEGER NOT NULL DEFAULT 0,
    dependencies  TEXT NOT NULL DEFAULT '[]',
    max_attempts  INTEGER NOT NULL DEFAULT 3,
    timeout       REAL NOT NULL DEFAULT 300,
    retry_delay   REAL NOT NULL DEFAULT 0,
    description   TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled', 'timeout')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    result        TEXT,
    error         TEXT,
    worker_id     TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    started_at    TEXT,
    completed_at  TEXT,
    -- engine columns
    retry_after   TEXT,              -- a pending retry may not be claimed before this time
    execution_id  TEXT,              -- the current attempt; reports for other attempts are refused
    ready_seq     INTEGER NOT NULL DEFAULT 0  -- when the job last became pending (see gigq_meta)
);

-- The ready window: only pending jobs are in it, so finished jobs cost nothing.
CREATE INDEX jobs_ready ON jobs (priority DESC, created_at, id) WHERE status = 'pending';
-- What became pending since a node last looked (writes by other processes).
CREATE INDEX jobs_ready_seq ON jobs (ready_seq, id) WHERE status = 'pending';
-- Retries waiting for their delay, in due order (the scheduler's timers).
CREATE INDEX jobs_retry ON jobs (retry_after) WHERE status = 'pending' AND retry_after IS NOT NULL;
-- Listing by state, newest first (ids are UUIDv7, so id order is creation order), and stats.
CREATE INDEX jobs_status ON jobs (status, id);

CREATE TABLE job_executions (
    id            TEXT PRIMARY KEY,
    job_id        TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    worker_id     TEXT,
    status        TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'timeout')),
    started_at    TEXT NOT NULL,
    completed_at  TEXT,
    result        TEXT,
    error         TEXT
);
CREATE INDEX job_executions_job ON job_executions (job_id, started_at);

-- Counters shared by every process that opens the file. ready_seq grows by
-- one in each write transaction that makes a job pending.
CREATE TABLE gigq_meta (
    key    TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);
INSERT INTO gigq_meta (key, value) VALUES ('ready_seq', 0);
