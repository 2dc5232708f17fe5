-- Statement: write the WAL into the database file (after a committed build, so its storage
-- digest is that of the file).
-- Parameters: none.
checkpoint
