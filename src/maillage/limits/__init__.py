"""Named rate limits stored in the database, shared by every server process."""
