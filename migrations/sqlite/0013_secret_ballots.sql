-- +goose Up
-- Secret ballots (docs/spec/secret-ballot.md). A secret ballot closes into
-- the state 'tallying' until a threshold of its trustees decrypted the
-- aggregate.
ALTER TABLE ballots ADD COLUMN trustee_threshold INTEGER NOT NULL DEFAULT 0;
-- SQLite cannot change a CHECK constraint with ALTER TABLE; widening it
-- (it refuses less, so no stored row can violate it) is the case SQLite's
-- documentation allows to edit in sqlite_schema. The CREATE TABLEs below
-- bump the schema version, so that every connection, this one included,
-- reloads the schema.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (state IN (''draft'', ''open'', ''closed''))',
    'CHECK (state IN (''draft'', ''open'', ''tallying'', ''closed''))')
    WHERE type = 'table' AND name = 'ballots';
PRAGMA writable_schema = OFF;

-- The trustees a secret ballot names, numbered 1..n in the order named.
CREATE TABLE ballot_trustees (
    ballot_id  INTEGER NOT NULL REFERENCES ballots(id),
    position   INTEGER NOT NULL CHECK (position >= 1),
    citizen_id INTEGER NOT NULL REFERENCES citizens(id),
    PRIMARY KEY (ballot_id, position),
    UNIQUE (ballot_id, citizen_id)
);

-- Each trustee's signed steps (key generation and decryption): the
-- content of the statement, whose envelope is in the community log.
CREATE TABLE trustee_steps (
    ballot_id  INTEGER  NOT NULL REFERENCES ballots(id),
    position   INTEGER  NOT NULL,
    step       TEXT     NOT NULL,
    content    TEXT     NOT NULL,
    statement  TEXT     NOT NULL,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (ballot_id, position, step)
);

-- A secret ballot's public crypto state: the key generation transcript
-- and joint key once complete, then the cast ballots with their weights
-- and the aggregate computed at the close.
CREATE TABLE secret_tallies (
    ballot_id      INTEGER PRIMARY KEY REFERENCES ballots(id),
    key_generation TEXT    NOT NULL DEFAULT '',
    joint_key      TEXT    NOT NULL DEFAULT '',
    cast_json      TEXT    NOT NULL DEFAULT '',
    aggregate      TEXT    NOT NULL DEFAULT ''
);

-- The first point of every ciphertext cast on a secret ballot: a ballot
-- reusing one (a replay of another voter's) is refused.
CREATE TABLE secret_ciphertexts (
    ballot_id  INTEGER NOT NULL REFERENCES ballots(id),
    a          TEXT    NOT NULL,
    citizen_id INTEGER NOT NULL REFERENCES citizens(id),
    PRIMARY KEY (ballot_id, a)
);
CREATE INDEX secret_ciphertexts_voter ON secret_ciphertexts (ballot_id, citizen_id);
