-- +goose Up
-- A statement's row is no longer keyed by its hash: see the SQLite
-- migration of the same number (a random-key index written per
-- statement; nothing reads by it; a replay is refused by the chain check
-- under the log's lock, and a batch whose citizen's chain another process
-- moved runs again, docs/scaling.md).
ALTER TABLE statements DROP CONSTRAINT statements_pkey;

-- +goose Down
ALTER TABLE statements ADD PRIMARY KEY (community_id, hash);
