-- +goose Up
-- A cast receipt commits to a secret nonce (docs/proofs.md), kept beside
-- the vote so that its voter can fetch the receipt again. Votes cast
-- before this migration keep an empty nonce (their old receipts).
ALTER TABLE votes ADD COLUMN receipt_nonce TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE votes DROP COLUMN receipt_nonce;
