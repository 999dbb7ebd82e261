-- +goose Up
-- A notification still to be fanned out to a ballot's roll: the close
-- records one row in its transaction (a million voters' notifications
-- would double its work) and the scheduler expands it in its own
-- transaction, deleting the row there (docs/notifications.md). note is
-- the notification (store.Note) as JSON.
CREATE TABLE notification_fanouts (
    id        BIGSERIAL PRIMARY KEY,
    ballot_id BIGINT NOT NULL REFERENCES ballots(id),
    note      TEXT   NOT NULL
);

-- +goose Down
DROP TABLE notification_fanouts;
