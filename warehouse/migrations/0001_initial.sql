-- trustwatch warehouse, version 1. All timestamps are UTC (naive TIMESTAMP).

CREATE TABLE sources (
    name            VARCHAR PRIMARY KEY,
    url             VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,          -- feed | page | sitemap
    language        VARCHAR,
    etag            VARCHAR,                   -- validators for the next conditional GET
    last_modified   VARCHAR,
    last_fetched_at TIMESTAMP,
    last_status     INTEGER,
    last_error      VARCHAR
);

CREATE SEQUENCE fetch_log_seq;
CREATE TABLE fetch_log (
    fetch_id     BIGINT DEFAULT nextval('fetch_log_seq') PRIMARY KEY,
    run_id       VARCHAR,
    source       VARCHAR NOT NULL,
    url          VARCHAR NOT NULL,
    status       INTEGER,                      -- NULL: no response (timeout, refused, robots)
    bytes        BIGINT DEFAULT 0,
    duration_ms  DOUBLE,
    error        VARCHAR,
    not_modified BOOLEAN DEFAULT FALSE,
    fetched_at   TIMESTAMP NOT NULL
);

CREATE TABLE documents (
    doc_id                VARCHAR PRIMARY KEY,  -- hash of canonical_url
    source                VARCHAR NOT NULL,
    url                   VARCHAR NOT NULL,
    canonical_url         VARCHAR NOT NULL UNIQUE,
    title                 VARCHAR,
    summary               VARCHAR,
    author                VARCHAR,
    text                  VARCHAR,
    published             TIMESTAMP NOT NULL,
    published_is_fallback BOOLEAN NOT NULL DEFAULT FALSE,
    language              VARCHAR,
    content_hash          VARCHAR NOT NULL,
    story_id              VARCHAR,              -- near-duplicates share one
    fetched_at            TIMESTAMP NOT NULL,
    extractor_version     VARCHAR               -- version that last extracted it; NULL: not yet
);
CREATE INDEX documents_content_hash ON documents (content_hash);

CREATE TABLE actors (
    actor_id    VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    kind        VARCHAR,                        -- platform | marketplace | regulator | court | ...
    country     VARCHAR,
    aliases     VARCHAR[],
    provisional BOOLEAN NOT NULL DEFAULT FALSE  -- made up for an unknown party
);

CREATE TABLE events (
    event_id          VARCHAR PRIMARY KEY,
    doc_id            VARCHAR NOT NULL,
    type              VARCHAR NOT NULL,
    status            VARCHAR NOT NULL,
    actor_text        VARCHAR,
    actor_id          VARCHAR,
    target_text       VARCHAR,
    target_id         VARCHAR,
    amount_value      DOUBLE,
    amount_currency   VARCHAR,
    amount_text       VARCHAR,
    event_date        VARCHAR,                  -- YYYY-MM-DD | YYYY-MM | YYYY
    date_precision    VARCHAR,                  -- day | month | year
    date_text         VARCHAR,
    reason            VARCHAR,
    trigger           VARCHAR,
    sentence          VARCHAR NOT NULL,
    start_char        INTEGER NOT NULL,
    end_char          INTEGER NOT NULL,
    confidence        DOUBLE,
    extractor_version VARCHAR NOT NULL
);
CREATE INDEX events_doc ON events (doc_id);

CREATE TABLE storylines (
    storyline_id VARCHAR PRIMARY KEY,
    title        VARCHAR,
    parties      VARCHAR[],
    first_date   VARCHAR,
    last_date    VARCHAR,
    n_incidents  INTEGER
);

CREATE TABLE incidents (
    incident_id     VARCHAR PRIMARY KEY,
    type            VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,
    actor_id        VARCHAR,
    actor_text      VARCHAR,
    target_id       VARCHAR,
    target_text     VARCHAR,
    amount_value    DOUBLE,
    amount_currency VARCHAR,
    event_date      VARCHAR,
    date_precision  VARCHAR,
    first_seen      TIMESTAMP,
    last_seen       TIMESTAMP,
    n_documents     INTEGER,
    n_sources       INTEGER,
    headline        VARCHAR,
    storyline_id    VARCHAR,
    disagreements   JSON                       -- differing amounts/dates and who says which
);

CREATE TABLE incident_events (
    incident_id VARCHAR NOT NULL,
    event_id    VARCHAR NOT NULL,
    PRIMARY KEY (incident_id, event_id)
);

CREATE TABLE runs (
    run_id     VARCHAR PRIMARY KEY,
    flow       VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    ended_at   TIMESTAMP,
    state      VARCHAR NOT NULL,                -- RUNNING | COMPLETED | FAILED | PARTIAL | LOCKED
    counts     JSON,
    errors     JSON
);
