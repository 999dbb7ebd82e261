-- +goose Up
-- A sealed proof is stored in chunks as it is written (a ballot of a
-- million voters has a proof of 140 MB, which the close never holds
-- whole): chunk seq of a ballot's proof follows chunk seq - 1.
CREATE TABLE ballot_proof_chunks (
    ballot_id INTEGER NOT NULL REFERENCES ballots(id),
    seq       INTEGER NOT NULL,
    data      BLOB    NOT NULL,
    PRIMARY KEY (ballot_id, seq)
);
INSERT INTO ballot_proof_chunks (ballot_id, seq, data)
    SELECT ballot_id, 0, CAST(proof_json AS BLOB) FROM ballot_documents;
ALTER TABLE ballot_documents DROP COLUMN proof_json;

-- +goose Down
ALTER TABLE ballot_documents ADD COLUMN proof_json TEXT NOT NULL DEFAULT '';
UPDATE ballot_documents SET proof_json = COALESCE(
    (SELECT group_concat(CAST(data AS TEXT), '') FROM
        (SELECT data FROM ballot_proof_chunks c WHERE c.ballot_id = ballot_documents.ballot_id ORDER BY seq)), '');
DROP TABLE ballot_proof_chunks;
