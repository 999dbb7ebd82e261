-- +goose Up
-- In-app notifications (docs/notifications.md). event_key names the event
-- that caused one, so enqueuing it again (a retried transaction, a second
-- scheduler) does nothing. visible_at hides it until then: delegation
-- notices are dated to the day (docs/security.md).
CREATE TABLE notifications (
    id          BIGSERIAL PRIMARY KEY,
    citizen_id  BIGINT   NOT NULL REFERENCES citizens(id),
    kind        TEXT     NOT NULL,
    message     TEXT     NOT NULL,
    event_key   TEXT     NOT NULL,
    params      TEXT     NOT NULL DEFAULT '[]',
    link        TEXT     NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    visible_at  TIMESTAMPTZ NOT NULL,
    read_at     TIMESTAMPTZ,
    UNIQUE (citizen_id, event_key)
);
CREATE INDEX notifications_event ON notifications (event_key);
CREATE INDEX notifications_citizen ON notifications (citizen_id, id);

-- The mail outbox: one row per notification to be mailed, written in the
-- transaction of its event; the worker marks it sent once the SMTP server
-- accepted it. secret holds what only the mail may carry (an invitation
-- link) and is cleared when sent.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    notification_id BIGINT   NOT NULL UNIQUE REFERENCES notifications(id),
    secret          TEXT     NOT NULL DEFAULT '',
    attempts        BIGINT   NOT NULL DEFAULT 0,
    next_at         TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ,
    sent_at         TIMESTAMPTZ,
    last_error      TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (next_at, id) WHERE sent_at IS NULL;

-- Per-citizen settings: the language of their mail and the kinds they do
-- not want by mail (",kind,kind," so that LIKE finds one).
CREATE TABLE notification_prefs (
    citizen_id  BIGINT   PRIMARY KEY REFERENCES citizens(id),
    lang        TEXT     NOT NULL DEFAULT 'en',
    muted       TEXT     NOT NULL DEFAULT ''
);

-- Ballots whose 24-hour reminder was sent (the scheduler's marker).
CREATE TABLE ballot_reminders (
    ballot_id   BIGINT   PRIMARY KEY REFERENCES ballots(id),
    sent_at     TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE ballot_reminders;
DROP TABLE notification_prefs;
DROP TABLE outbox;
DROP TABLE notifications;
