-- +goose Up
-- An account at an OpenID provider linked to a citizen (docs/oidc.md):
-- later sign-ins find the citizen by (issuer, subject), not by email.
CREATE TABLE citizen_identities (
    issuer      TEXT     NOT NULL,
    subject     TEXT     NOT NULL,
    citizen_id  INTEGER  NOT NULL REFERENCES citizens(id),
    created_at  DATETIME NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX citizen_identities_citizen ON citizen_identities (citizen_id);

-- Deliberation (docs/deliberation.md). Discussion ends at
-- discussion_ends_at (NULL: open-ended); then the proposal is frozen
-- until a ballot on it opens.
ALTER TABLE proposals ADD COLUMN discussion_ends_at DATETIME;

-- Every version of a proposal; version 1 is the text it was created with.
CREATE TABLE proposal_versions (
    proposal_id INTEGER  NOT NULL REFERENCES proposals(id),
    version     INTEGER  NOT NULL,
    title       TEXT     NOT NULL,
    body        TEXT     NOT NULL,
    note        TEXT     NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    PRIMARY KEY (proposal_id, version)
);

-- Arguments for and against, and threaded comments (parent_id).
CREATE TABLE posts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id   INTEGER  NOT NULL REFERENCES proposals(id),
    author_id     INTEGER  NOT NULL REFERENCES citizens(id),
    parent_id     INTEGER  REFERENCES posts(id),
    kind          TEXT     NOT NULL CHECK (kind IN ('for', 'against', 'comment')),
    body          TEXT     NOT NULL,
    created_at    DATETIME NOT NULL,
    hidden_at     DATETIME,
    hidden_reason TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX posts_proposal ON posts (proposal_id, created_at);
CREATE INDEX posts_author ON posts (author_id, created_at);

CREATE TABLE post_supports (
    post_id     INTEGER  NOT NULL REFERENCES posts(id),
    citizen_id  INTEGER  NOT NULL REFERENCES citizens(id),
    created_at  DATETIME NOT NULL,
    PRIMARY KEY (post_id, citizen_id)
);

-- Suggested changes; the author marks them adopted or rejected.
CREATE TABLE suggestions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id INTEGER  NOT NULL REFERENCES proposals(id),
    author_id   INTEGER  NOT NULL REFERENCES citizens(id),
    body        TEXT     NOT NULL,
    state       TEXT     NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'adopted', 'rejected')),
    created_at  DATETIME NOT NULL,
    decided_at  DATETIME
);
CREATE INDEX suggestions_proposal ON suggestions (proposal_id);

-- What the board hid and why; members read it.
CREATE TABLE moderation_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER  NOT NULL REFERENCES communities(id),
    post_id      INTEGER  NOT NULL REFERENCES posts(id),
    board_id     INTEGER  NOT NULL REFERENCES citizens(id),
    reason       TEXT     NOT NULL,
    created_at   DATETIME NOT NULL
);
CREATE INDEX moderation_log_community ON moderation_log (community_id, created_at);

-- A delegate's profile in a community: what they stand for and the
-- topics they accept delegations for.
CREATE TABLE delegate_profiles (
    community_id INTEGER  NOT NULL REFERENCES communities(id),
    citizen_id   INTEGER  NOT NULL REFERENCES citizens(id),
    statement    TEXT     NOT NULL DEFAULT '',
    updated_at   DATETIME NOT NULL,
    PRIMARY KEY (community_id, citizen_id)
);
CREATE TABLE delegate_topics (
    community_id INTEGER  NOT NULL REFERENCES communities(id),
    citizen_id   INTEGER  NOT NULL REFERENCES citizens(id),
    topic_id     INTEGER  NOT NULL REFERENCES topics(id),
    PRIMARY KEY (community_id, citizen_id, topic_id)
);
CREATE INDEX delegate_topics_topic ON delegate_topics (topic_id);

-- +goose Down
DROP TABLE delegate_topics;
DROP TABLE delegate_profiles;
DROP TABLE moderation_log;
DROP TABLE suggestions;
DROP TABLE post_supports;
DROP TABLE posts;
DROP TABLE proposal_versions;
ALTER TABLE proposals DROP COLUMN discussion_ends_at;
DROP TABLE citizen_identities;
