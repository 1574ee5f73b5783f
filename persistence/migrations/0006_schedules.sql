-- Cron schedules: each due time of an enabled schedule enqueues one job
-- made from its template (function, params, options). next_run is the due
-- time not yet enqueued; the enqueue is an UPDATE guarded by it (WHERE
-- next_run = the due time) in the transaction that inserts the job, so
-- several nodes on this file, and restarts, enqueue each due time once.
-- options: JSON {name, priority, max_attempts, timeout, retry_delay,
-- description} (seconds for the durations). catch_up: what a node does
-- with due times missed while every node was down: 'one' enqueues one job
-- for the latest of them, 'skip' none. Times as elsewhere: UTC RFC 3339
-- with nine fractional digits.
CREATE TABLE schedules (
    name        TEXT PRIMARY KEY,
    cron        TEXT NOT NULL,
    timezone    TEXT NOT NULL DEFAULT 'UTC',
    function    TEXT NOT NULL,
    params      TEXT NOT NULL DEFAULT '{}',
    options     TEXT NOT NULL DEFAULT '{}',
    enabled     INTEGER NOT NULL DEFAULT 1,
    catch_up    TEXT NOT NULL DEFAULT 'one' CHECK (catch_up IN ('one', 'skip')),
    last_run    TEXT,
    next_run    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
-- The schedules a node arms timers for: enabled, earliest first.
CREATE INDEX schedules_next_run ON schedules (next_run) WHERE enabled = 1;
-- schedules_seq grows with every change to schedules, so a node that sees
-- another process write (PRAGMA data_version) reloads them only when they
-- changed.
INSERT INTO gigq_meta (key, value) VALUES ('schedules_seq', 0);
