-- Exponential retry backoff with jitter (persistence.Backoff). NULL
-- backoff_base: the job has no policy and waits its fixed retry_delay.
-- Seconds (REAL) as for retry_delay; backoff_max 0 is no cap; the delay
-- itself is computed by the store when an attempt fails (jitter needs a
-- random number, which SQL would not make reproducibly testable).
ALTER TABLE jobs ADD COLUMN backoff_base REAL;
ALTER TABLE jobs ADD COLUMN backoff_factor REAL;
ALTER TABLE jobs ADD COLUMN backoff_max REAL;
ALTER TABLE jobs ADD COLUMN backoff_jitter REAL;
