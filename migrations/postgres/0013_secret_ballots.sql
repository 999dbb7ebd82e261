-- +goose Up
-- Secret ballots (docs/spec/secret-ballot.md). A secret ballot closes into
-- the state 'tallying' until a threshold of its trustees decrypted the
-- aggregate.
ALTER TABLE ballots DROP CONSTRAINT ballots_state_check;
ALTER TABLE ballots ADD CONSTRAINT ballots_state_check CHECK (state IN ('draft', 'open', 'tallying', 'closed'));
ALTER TABLE ballots ADD COLUMN trustee_threshold INTEGER NOT NULL DEFAULT 0;

-- The trustees a secret ballot names, numbered 1..n in the order named.
CREATE TABLE ballot_trustees (
    ballot_id  BIGINT  NOT NULL REFERENCES ballots(id),
    position   INTEGER NOT NULL CHECK (position >= 1),
    citizen_id BIGINT  NOT NULL REFERENCES citizens(id),
    PRIMARY KEY (ballot_id, position),
    UNIQUE (ballot_id, citizen_id)
);

-- Each trustee's signed steps (key generation and decryption): the
-- content of the statement, whose envelope is in the community log.
CREATE TABLE trustee_steps (
    ballot_id  BIGINT   NOT NULL REFERENCES ballots(id),
    position   BIGINT   NOT NULL,
    step       TEXT     NOT NULL,
    content    TEXT     NOT NULL,
    statement  TEXT     NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ballot_id, position, step)
);

-- A secret ballot's public crypto state: the key generation transcript
-- and joint key once complete, then the cast ballots with their weights
-- and the aggregate computed at the close.
CREATE TABLE secret_tallies (
    ballot_id      BIGINT  PRIMARY KEY REFERENCES ballots(id),
    key_generation TEXT    NOT NULL DEFAULT '',
    joint_key      TEXT    NOT NULL DEFAULT '',
    cast_json      TEXT    NOT NULL DEFAULT '',
    aggregate      TEXT    NOT NULL DEFAULT ''
);

-- The first point of every ciphertext cast on a secret ballot: a ballot
-- reusing one (a replay of another voter's) is refused.
CREATE TABLE secret_ciphertexts (
    ballot_id  BIGINT  NOT NULL REFERENCES ballots(id),
    a          TEXT    NOT NULL,
    citizen_id BIGINT  NOT NULL REFERENCES citizens(id),
    PRIMARY KEY (ballot_id, a)
);
CREATE INDEX secret_ciphertexts_voter ON secret_ciphertexts (ballot_id, citizen_id);
