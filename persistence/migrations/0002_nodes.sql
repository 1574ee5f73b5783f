-- Every process that runs jobs on this file has a row here while it lives.
-- It refreshes last_seen on a timer; a node whose last_seen is older than
-- the lease (or whose process is gone, on the same host) is lost, and any
-- live node reclaims the jobs it was running.
CREATE TABLE nodes (
    id          TEXT PRIMARY KEY,  -- the worker_id it writes on jobs
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    handlers    TEXT NOT NULL DEFAULT '[]'  -- JSON list of task names
);

-- Running jobs by the node that runs them (reclaim reads only these).
CREATE INDEX jobs_running_worker ON jobs (worker_id) WHERE status = 'running';
