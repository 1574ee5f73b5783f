-- Worker nodes on other machines join a primary over the network and have
-- a row here too, written and refreshed by the primary: concurrency is how
-- many jobs a node runs at once, primary_id the node that dispatches to it
-- (NULL for a process that opened the file itself).
ALTER TABLE nodes ADD COLUMN concurrency INTEGER NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN primary_id TEXT;
