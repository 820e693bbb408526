-- Incremental incidents: what each grouped event looked like when it was grouped, the
-- canonical party ids used, and the grouping settings, so that the next update regroups only
-- the blocks whose events changed (and rebuilds everything when the settings did).
ALTER TABLE incident_events ADD COLUMN fingerprint UBIGINT;   -- hash of the event's grouping inputs
ALTER TABLE incident_events ADD COLUMN doc_id VARCHAR;        -- its document (kept after the event is gone)
CREATE TABLE incident_party_map (
    raw_id       VARCHAR PRIMARY KEY,   -- a provisional id as stored on events
    canonical_id VARCHAR NOT NULL       -- the shorter provisional id it was grouped under
);
CREATE TABLE incident_build (
    name  VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
