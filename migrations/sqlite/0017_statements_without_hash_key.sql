-- +goose Up
-- A statement's row is no longer keyed by its hash. The key was a second
-- index with random keys, one more page written at a random place per
-- statement (about a fifth of a signed vote's write, docs/scaling.md);
-- nothing reads a statement by its hash, and a replay never reaches the
-- table: a citizen's statements are checked against their chain under
-- the log's write lock (statement.State: a repeated hash is ErrReplay).
CREATE TABLE statements_by_chain (
    community_id INTEGER  NOT NULL REFERENCES communities(id),
    hash         TEXT     NOT NULL,
    citizen_id   INTEGER  NOT NULL REFERENCES citizens(id),
    log_index    INTEGER  NOT NULL,
    envelope     TEXT     NOT NULL
);
INSERT INTO statements_by_chain (community_id, hash, citizen_id, log_index, envelope)
    SELECT community_id, hash, citizen_id, log_index, envelope FROM statements ORDER BY community_id, log_index;
DROP TABLE statements;
ALTER TABLE statements_by_chain RENAME TO statements;
CREATE INDEX statements_chain ON statements (community_id, citizen_id, log_index);

-- +goose Down
CREATE TABLE statements_by_hash (
    community_id INTEGER  NOT NULL REFERENCES communities(id),
    hash         TEXT     NOT NULL,
    citizen_id   INTEGER  NOT NULL REFERENCES citizens(id),
    log_index    INTEGER  NOT NULL,
    envelope     TEXT     NOT NULL,
    PRIMARY KEY (community_id, hash)
);
INSERT INTO statements_by_hash SELECT community_id, hash, citizen_id, log_index, envelope FROM statements;
DROP TABLE statements;
ALTER TABLE statements_by_hash RENAME TO statements;
CREATE INDEX statements_chain ON statements (community_id, citizen_id, log_index);
