-- Named queues: every job belongs to one (default 'default'). A node can
-- serve some queues only, and cap how many jobs of a queue it runs at once.
ALTER TABLE jobs ADD COLUMN queue TEXT NOT NULL DEFAULT 'default';
