-- Alerts: an outbox written in the same transaction as the incident changes that caused them,
-- and the delivery state of each alert on each channel. Delivery targets (webhook URLs, mail
-- addresses) stay in the configuration: a webhook URL may carry a secret.

CREATE TABLE alerts (
    alert_id     VARCHAR PRIMARY KEY,   -- hash of (watch, incident, what changed, the new state)
    watch        VARCHAR NOT NULL,
    incident_id  VARCHAR NOT NULL,
    reasons      VARCHAR[] NOT NULL,    -- new | sources | amount | status
    created_at   TIMESTAMP NOT NULL,    -- UTC
    title        VARCHAR NOT NULL,
    payload      JSON NOT NULL          -- what every channel sends (docs/alerts.md)
);

CREATE TABLE alert_deliveries (
    alert_id      VARCHAR NOT NULL,
    channel       VARCHAR NOT NULL,     -- webhook | email | feed
    state         VARCHAR NOT NULL,     -- pending | delivered | cancelled (the watch was removed)
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    VARCHAR,
    last_attempt  TIMESTAMP,
    delivered_at  TIMESTAMP,
    PRIMARY KEY (alert_id, channel)
);
