-- +goose Up
-- One append-only log per community (docs/spec/log.md). origin is fixed
-- at the first append; size is the number of entries, and the row is the
-- lock every append takes.
CREATE TABLE community_logs (
    community_id INTEGER  PRIMARY KEY REFERENCES communities(id),
    origin       TEXT     NOT NULL,
    size         INTEGER  NOT NULL DEFAULT 0
);

-- The entries' bytes, by index.
CREATE TABLE log_entries (
    community_id INTEGER  NOT NULL REFERENCES communities(id),
    idx          INTEGER  NOT NULL,
    data         BLOB     NOT NULL,
    PRIMARY KEY (community_id, idx)
);

-- The tree's stored hashes in tlog's stored-hash order (leaves and every
-- complete subtree).
CREATE TABLE log_hashes (
    community_id INTEGER  NOT NULL REFERENCES communities(id),
    idx          INTEGER  NOT NULL,
    hash         BLOB     NOT NULL,
    PRIMARY KEY (community_id, idx)
);

-- Every accepted statement (docs/spec/statements.md), in the clear, with
-- the log index where it took effect (a vote's commitment).
CREATE TABLE statements (
    community_id INTEGER  NOT NULL REFERENCES communities(id),
    hash         TEXT     NOT NULL,
    citizen_id   INTEGER  NOT NULL REFERENCES citizens(id),
    log_index    INTEGER  NOT NULL,
    envelope     TEXT     NOT NULL,
    PRIMARY KEY (community_id, hash)
);
CREATE INDEX statements_chain ON statements (community_id, citizen_id, log_index);

-- Keys registered in a community's log.
CREATE TABLE citizen_keys (
    community_id INTEGER  NOT NULL REFERENCES communities(id),
    key_id       TEXT     NOT NULL,
    citizen_id   INTEGER  NOT NULL REFERENCES citizens(id),
    public_key   TEXT     NOT NULL,
    custodial    BOOLEAN  NOT NULL DEFAULT 0,
    revoked      BOOLEAN  NOT NULL DEFAULT 0,
    PRIMARY KEY (community_id, key_id)
);
CREATE INDEX citizen_keys_citizen ON citizen_keys (community_id, citizen_id);

-- The key the server holds for a citizen whose client cannot sign; the
-- seed is sealed with the data key.
CREATE TABLE custodial_keys (
    citizen_id   INTEGER  PRIMARY KEY REFERENCES citizens(id),
    sealed_seed  TEXT     NOT NULL
);

-- A vote's opening, kept while its ballot is open (the log holds the
-- commitment at log_index) and appended to the log at close.
CREATE TABLE vote_openings (
    ballot_id    INTEGER  NOT NULL REFERENCES ballots(id),
    log_index    INTEGER  NOT NULL,
    commitment   TEXT     NOT NULL,
    nonce        TEXT     NOT NULL,
    envelope     TEXT     NOT NULL,
    PRIMARY KEY (ballot_id, log_index)
);

-- +goose Down
DROP TABLE vote_openings;
DROP TABLE custodial_keys;
DROP TABLE citizen_keys;
DROP TABLE statements;
DROP TABLE log_hashes;
DROP TABLE log_entries;
DROP TABLE community_logs;
