-- +goose Up
CREATE TABLE citizens (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    handle         TEXT    NOT NULL UNIQUE,
    email          TEXT    NOT NULL DEFAULT '',
    display_name   TEXT    NOT NULL DEFAULT '',
    statement      TEXT    NOT NULL DEFAULT '',
    password_hash  TEXT    NOT NULL DEFAULT '',
    token_version  INTEGER NOT NULL DEFAULT 1,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   DATETIME,
    created_at     DATETIME NOT NULL
);

CREATE TABLE communities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    public      BOOLEAN NOT NULL DEFAULT 1,
    created_at  DATETIME NOT NULL
);

CREATE TABLE memberships (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    citizen_id   INTEGER NOT NULL REFERENCES citizens(id),
    role         TEXT    NOT NULL CHECK (role IN ('member', 'board', 'auditor')),
    weight       INTEGER NOT NULL DEFAULT 1 CHECK (weight >= 0),
    started_at   DATETIME NOT NULL,
    ended_at     DATETIME
);
CREATE UNIQUE INDEX memberships_current ON memberships (community_id, citizen_id) WHERE ended_at IS NULL;
CREATE INDEX memberships_citizen ON memberships (citizen_id);

CREATE TABLE invitations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    citizen_id   INTEGER NOT NULL REFERENCES citizens(id),
    community_id INTEGER NOT NULL REFERENCES communities(id),
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   DATETIME NOT NULL,
    used_at      DATETIME
);

CREATE TABLE topics (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    slug         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    created_at   DATETIME NOT NULL,
    UNIQUE (community_id, slug)
);

CREATE TABLE ballots (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    topic_id     INTEGER REFERENCES topics(id),
    proposal_id  INTEGER,
    title        TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    method       TEXT    NOT NULL,
    seats        INTEGER NOT NULL DEFAULT 1,
    stv_rule     TEXT    NOT NULL DEFAULT '',
    threshold    TEXT    NOT NULL DEFAULT '1/2',
    strict       BOOLEAN NOT NULL DEFAULT 1,
    quorum       TEXT    NOT NULL DEFAULT '0/1',
    delegation   BOOLEAN NOT NULL DEFAULT 1,
    secrecy      TEXT    NOT NULL DEFAULT 'public',
    state        TEXT    NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'open', 'closed')),
    secret       TEXT    NOT NULL DEFAULT '',
    created_by   INTEGER NOT NULL REFERENCES citizens(id),
    created_at   DATETIME NOT NULL,
    opens_at     DATETIME,
    closes_at    DATETIME NOT NULL,
    closed_at    DATETIME,
    result_json  TEXT,
    proof_json   TEXT,
    proof_hash   TEXT    NOT NULL DEFAULT '',
    log_head     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX ballots_community ON ballots (community_id, state);
CREATE INDEX ballots_closing ON ballots (state, closes_at);

CREATE TABLE ballot_options (
    ballot_id INTEGER NOT NULL REFERENCES ballots(id),
    position  INTEGER NOT NULL,
    key       TEXT    NOT NULL,
    label     TEXT    NOT NULL,
    PRIMARY KEY (ballot_id, position),
    UNIQUE (ballot_id, key)
);

CREATE TABLE ballot_roll (
    ballot_id  INTEGER NOT NULL REFERENCES ballots(id),
    citizen_id INTEGER NOT NULL REFERENCES citizens(id),
    weight     INTEGER NOT NULL CHECK (weight >= 0),
    PRIMARY KEY (ballot_id, citizen_id)
);

CREATE TABLE votes (
    ballot_id  INTEGER NOT NULL REFERENCES ballots(id),
    citizen_id INTEGER NOT NULL REFERENCES citizens(id),
    choice     TEXT    NOT NULL,
    receipt    TEXT    NOT NULL,
    cast_at    DATETIME NOT NULL,
    PRIMARY KEY (ballot_id, citizen_id)
);

CREATE TABLE ballot_events (
    ballot_id INTEGER NOT NULL REFERENCES ballots(id),
    seq       INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    payload   TEXT    NOT NULL,
    at        DATETIME NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL,
    PRIMARY KEY (ballot_id, seq)
);

CREATE TABLE delegations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    citizen_id   INTEGER NOT NULL REFERENCES citizens(id),
    community_id INTEGER NOT NULL REFERENCES communities(id),
    topic_id     INTEGER REFERENCES topics(id),
    ballot_id    INTEGER REFERENCES ballots(id),
    scope_key    TEXT    NOT NULL,
    updated_at   DATETIME NOT NULL,
    UNIQUE (citizen_id, community_id, scope_key)
);
CREATE INDEX delegations_community ON delegations (community_id);

CREATE TABLE delegation_delegates (
    delegation_id INTEGER NOT NULL REFERENCES delegations(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    delegate_id   INTEGER NOT NULL REFERENCES citizens(id),
    PRIMARY KEY (delegation_id, position)
);
CREATE INDEX delegation_delegates_delegate ON delegation_delegates (delegate_id);

CREATE TABLE delegation_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    citizen_id   INTEGER NOT NULL REFERENCES citizens(id),
    delegate_id  INTEGER NOT NULL REFERENCES citizens(id),
    scope_key    TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('start', 'stop')),
    at           DATETIME NOT NULL
);
CREATE INDEX delegation_events_delegate ON delegation_events (delegate_id, at);

CREATE TABLE proposals (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    topic_id     INTEGER REFERENCES topics(id),
    author_id    INTEGER NOT NULL REFERENCES citizens(id),
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    ballot_id    INTEGER REFERENCES ballots(id),
    created_at   DATETIME NOT NULL
);
CREATE INDEX proposals_community ON proposals (community_id, created_at);

CREATE TABLE supports (
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    citizen_id  INTEGER NOT NULL REFERENCES citizens(id),
    created_at  DATETIME NOT NULL,
    PRIMARY KEY (proposal_id, citizen_id)
);

-- +goose Down
DROP TABLE supports;
DROP TABLE proposals;
DROP TABLE delegation_events;
DROP TABLE delegation_delegates;
DROP TABLE delegations;
DROP TABLE ballot_events;
DROP TABLE votes;
DROP TABLE ballot_roll;
DROP TABLE ballot_options;
DROP TABLE ballots;
DROP TABLE topics;
DROP TABLE invitations;
DROP TABLE memberships;
DROP TABLE communities;
DROP TABLE citizens;
