-- Reports written, so that a report can say what is new since the previous one of the same scope.

CREATE TABLE report_log (
    report_id    VARCHAR PRIMARY KEY,
    generated_at TIMESTAMP NOT NULL,           -- when the warehouse was read (UTC)
    scope        VARCHAR NOT NULL,             -- canonical JSON of the actor/type/storyline filters
    period_since TIMESTAMP,
    period_until TIMESTAMP,
    format       VARCHAR NOT NULL,
    path         VARCHAR,
    n_incidents  INTEGER NOT NULL,
    n_new        INTEGER
);
CREATE INDEX report_log_scope ON report_log (scope, generated_at);
