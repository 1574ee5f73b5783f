-- Workflows and dependencies. A workflow groups jobs under a name; its
-- status is running until every job ended, then completed, failed (a job
-- failed or timed out) or cancelled.
CREATE TABLE workflows (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    status_seq  INTEGER NOT NULL DEFAULT 0  -- when the status last changed (gigq_meta workflow_seq)
);
-- Workflows whose status changed since a node last looked (other
-- processes' writes), like jobs_ready_seq for jobs.
CREATE INDEX workflows_status_seq ON workflows (status_seq);
INSERT INTO gigq_meta (key, value) VALUES ('workflow_seq', 0);

-- workflow_id: the workflow a job belongs to (NULL for a plain job).
-- waiting: 1 while a parent has not completed; a pending job is claimable
-- only at 0. It is cleared in the transaction that completes its last
-- parent, so a child is released atomically with that completion.
-- cancelled_by: the upstream job whose end cancelled this one; requeuing
-- that job revives this one.
ALTER TABLE jobs ADD COLUMN workflow_id TEXT REFERENCES workflows (id);
ALTER TABLE jobs ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN cancelled_by TEXT;

-- The dependency edges, in dependency order (position) per child. The
-- jobs.dependencies JSON column keeps GigQ's shape for readers; nothing
-- scans it.
CREATE TABLE job_dependencies (
    job_id     TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    parent_id  TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (job_id, parent_id)
) WITHOUT ROWID;
-- A parent's children: the release and cancel paths read only these.
CREATE INDEX job_dependencies_parent ON job_dependencies (parent_id, job_id);

-- The count of parents not completed, per job that has dependencies: a
-- small row, decremented once per completed parent. (Kept off the jobs
-- row, which holds the params and the dependencies list: a job waiting
-- for 10,000 parents would otherwise rewrite its whole row, the list
-- included, 10,000 times.) workflow_id routes the completion to the
-- child's workflow without reading the child's row.
CREATE TABLE job_waits (
    job_id          TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    deps_remaining  INTEGER NOT NULL,
    workflow_id     TEXT
) WITHOUT ROWID;

CREATE INDEX jobs_workflow ON jobs (workflow_id, id) WHERE workflow_id IS NOT NULL;
-- A workflow's jobs that can still run: when the last one leaves, the
-- transaction that ended it sets the workflow's final status.
CREATE INDEX jobs_workflow_active ON jobs (workflow_id, status)
    WHERE workflow_id IS NOT NULL AND status IN ('pending', 'running');
CREATE INDEX jobs_cancelled_by ON jobs (cancelled_by) WHERE cancelled_by IS NOT NULL;

-- The ready indexes hold only claimable jobs: pending with every parent
-- completed. A job waiting on its parents costs the dispatcher nothing.
DROP INDEX jobs_ready;
CREATE INDEX jobs_ready ON jobs (priority DESC, created_at, id) WHERE status = 'pending' AND waiting = 0;
DROP INDEX jobs_ready_seq;
CREATE INDEX jobs_ready_seq ON jobs (ready_seq, id) WHERE status = 'pending' AND waiting = 0;

-- The workflows a starting node tracks.
CREATE INDEX workflows_running ON workflows (id) WHERE status = 'running';
