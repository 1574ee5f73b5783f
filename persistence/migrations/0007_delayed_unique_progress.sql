-- Delayed jobs: run_at is the time a job was submitted to run at (not
-- claimable before; retry_after holds the same time while it waits, so the
-- scheduler and the claim guard treat it as a retry that waits).
ALTER TABLE jobs ADD COLUMN run_at TEXT;

-- Unique jobs: a submit with a unique_key returns the job that holds the
-- key in one of the states the submit names, instead of inserting another.
ALTER TABLE jobs ADD COLUMN unique_key TEXT;
CREATE INDEX jobs_unique ON jobs (unique_key) WHERE unique_key IS NOT NULL;

-- Progress a running handler reports (gigq.Progress): a fraction from 0
-- to 1 and a message; the last report stays on the job.
ALTER TABLE jobs ADD COLUMN progress REAL;
ALTER TABLE jobs ADD COLUMN progress_message TEXT;

-- An attempt can end cancelled (a running job cancelled by a user) or
-- snoozed (its handler asked to run again later, without using the
-- attempt): job_executions is rebuilt for the wider CHECK.
CREATE TABLE job_executions_new (
    id            TEXT PRIMARY KEY,
    job_id        TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    worker_id     TEXT,
    status        TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'timeout', 'cancelled', 'snoozed')),
    started_at    TEXT NOT NULL,
    completed_at  TEXT,
    result        TEXT,
    error         TEXT
);
INSERT INTO job_executions_new SELECT id, job_id, worker_id, status, started_at, completed_at, result, error FROM job_executions;
DROP TABLE job_executions;
ALTER TABLE job_executions_new RENAME TO job_executions;
CREATE INDEX job_executions_job ON job_executions (job_id, started_at);
