-- +goose Up
-- A sign-in session is one refresh-token family (docs/security.md): each
-- use of its refresh token moves generation on, and a token of an older
-- generation coming back means it was copied, so the session is revoked.
CREATE TABLE sessions (
    id           TEXT     PRIMARY KEY,
    citizen_id   BIGINT   NOT NULL REFERENCES citizens(id),
    generation   BIGINT   NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX sessions_citizen ON sessions (citizen_id);

-- A board seat offered to a citizen; it becomes a board membership only
-- when that citizen accepts (docs/security.md).
CREATE TABLE board_offers (
    community_id BIGINT   NOT NULL REFERENCES communities(id),
    citizen_id   BIGINT   NOT NULL REFERENCES citizens(id),
    weight       BIGINT   NOT NULL DEFAULT 1 CHECK (weight >= 0),
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (community_id, citizen_id)
);

-- +goose Down
DROP TABLE board_offers;
DROP TABLE sessions;
