-- +goose Up
-- A sealed ballot's result and proof documents (tens to hundreds of MB for
-- a large electorate) move out of the ballots row: every ballot route
-- reads that row, and SQLite walks a row's overflow pages to reach the
-- columns after them (proof_hash, log_head).
CREATE TABLE ballot_documents (
    ballot_id   INTEGER NOT NULL PRIMARY KEY REFERENCES ballots(id),
    result_json TEXT    NOT NULL,
    proof_json  TEXT    NOT NULL
);
INSERT INTO ballot_documents (ballot_id, result_json, proof_json)
    SELECT id, result_json, proof_json FROM ballots WHERE proof_json IS NOT NULL;
ALTER TABLE ballots DROP COLUMN result_json;
ALTER TABLE ballots DROP COLUMN proof_json;

-- +goose Down
ALTER TABLE ballots ADD COLUMN result_json TEXT;
ALTER TABLE ballots ADD COLUMN proof_json TEXT;
UPDATE ballots SET
    result_json = (SELECT d.result_json FROM ballot_documents d WHERE d.ballot_id = ballots.id),
    proof_json  = (SELECT d.proof_json FROM ballot_documents d WHERE d.ballot_id = ballots.id);
DROP TABLE ballot_documents;
