-- +goose Up
-- A sign-in session is one refresh-token family (docs/security.md): each
-- use of its refresh token moves generation on, and a token of an older
-- generation coming back means it was copied, so the session is revoked.
CREATE TABLE sessions (
    id           TEXT     PRIMARY KEY,
    citizen_id   INTEGER  NOT NULL REFERENCES citizens(id),
    generation   INTEGER  NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL,
    used_at      DATETIME NOT NULL,
    revoked_at   DATETIME
);
CREATE INDEX sessions_citizen ON sessions (citizen_id);

-- A board seat offered to a citizen; it becomes a board membership only
-- when that citizen accepts (docs/security.md).
CREATE TABLE board_offers (
    community_id INTEGER  NOT NULL REFERENCES communities(id),
    citizen_id   INTEGER  NOT NULL REFERENCES citizens(id),
    weight       INTEGER  NOT NULL DEFAULT 1 CHECK (weight >= 0),
    created_at   DATETIME NOT NULL,
    PRIMARY KEY (community_id, citizen_id)
);

-- +goose Down
DROP TABLE board_offers;
DROP TABLE sessions;
