-- Every claim inserts a job into each index on running jobs and every
-- report removes it. jobs_running_worker duplicated jobs_status for the
-- running jobs (few: at most the workers of the nodes on the file), whose
-- worker_id a scan of jobs_status's 'running' range filters as fast; it
-- cost two index writes per job.
DROP INDEX jobs_running_worker;
