-- +goose Up
-- The witnesses a community's board configured for its log
-- (docs/logs.md, "Witnesses"): each speaks C2SP tlog-witness at url and
-- cosigns with the key vkey (its name is the vkey's). last_error is the
-- latest refusal or failure the server met submitting to it ('' after a
-- cosignature).
CREATE TABLE log_witnesses (
    community_id INTEGER  NOT NULL REFERENCES communities(id),
    name         TEXT     NOT NULL,
    vkey         TEXT     NOT NULL,
    url          TEXT     NOT NULL,
    position     INTEGER  NOT NULL,
    last_error   TEXT     NOT NULL DEFAULT '',
    PRIMARY KEY (community_id, name)
);

-- How many of those witnesses must cosign a close checkpoint before a
-- seal is issued (0: none).
CREATE TABLE log_witness_quorums (
    community_id INTEGER  PRIMARY KEY REFERENCES communities(id),
    quorum       INTEGER  NOT NULL
);

-- The cosignatures collected, one per witness and checkpoint (size and
-- root, hex): line is the signed-note signature line served after the
-- log's own at /logs/{community}/checkpoint.
CREATE TABLE log_cosignatures (
    community_id INTEGER  NOT NULL REFERENCES communities(id),
    witness      TEXT     NOT NULL,
    size         INTEGER  NOT NULL,
    root         TEXT     NOT NULL,
    line         TEXT     NOT NULL,
    PRIMARY KEY (community_id, witness, size)
);

-- +goose Down
DROP TABLE log_cosignatures;
DROP TABLE log_witness_quorums;
DROP TABLE log_witnesses;
