-- The incident timeline: dates as ranges, disputes made explicit, storyline order,
-- the `timeline` and `actor_incidents` views, and indexes for party/date lookups.

ALTER TABLE incidents ADD COLUMN amount_text VARCHAR;
ALTER TABLE incidents ADD COLUMN date_start DATE;            -- first day the event date can mean
ALTER TABLE incidents ADD COLUMN date_end DATE;              -- last day (a month, a year, or = start)
ALTER TABLE incidents ADD COLUMN amount_disputed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE incidents ADD COLUMN date_disputed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE incidents ADD COLUMN sources VARCHAR[];          -- distinct document sources, sorted
ALTER TABLE incidents ADD COLUMN key_party VARCHAR;          -- the party it was grouped on
ALTER TABLE incidents ADD COLUMN storyline_seq INTEGER;      -- 1-based position in its storyline

ALTER TABLE storylines ADD COLUMN types VARCHAR[];           -- incident types, in storyline order

CREATE INDEX incidents_actor ON incidents (actor_id);
CREATE INDEX incidents_target ON incidents (target_id);
CREATE INDEX incidents_date ON incidents (date_start);
CREATE INDEX incident_events_event ON incident_events (event_id);
CREATE INDEX events_actor ON events (actor_id);
CREATE INDEX events_target ON events (target_id);

-- One row per incident, in event-date order (incidents without a date sort by first report).
CREATE VIEW timeline AS
SELECT
    i.incident_id,
    coalesce(i.date_start, CAST(i.first_seen AS DATE)) AS sort_date,
    i.event_date,
    i.date_precision,
    i.date_start,
    i.date_end,
    i.type,
    i.status,
    i.actor_id,
    coalesce(a.name, i.actor_text) AS actor,
    i.target_id,
    coalesce(t.name, i.target_text) AS target,
    i.amount_value,
    i.amount_currency,
    i.amount_text,
    i.amount_disputed,
    i.date_disputed,
    i.n_documents,
    i.n_sources,
    i.sources,
    i.first_seen,
    i.last_seen,
    i.headline,
    i.storyline_id,
    i.storyline_seq
FROM incidents i
LEFT JOIN actors a ON a.actor_id = i.actor_id
LEFT JOIN actors t ON t.actor_id = i.target_id
ORDER BY sort_date, i.incident_id;

-- One row per (party, incident): every incident a party took part in, with its role.
CREATE VIEW actor_incidents AS
SELECT
    p.party_id AS actor_id,
    coalesce(a.name, p.party_text) AS actor_name,
    a.kind AS actor_kind,
    a.country AS actor_country,
    coalesce(a.provisional, TRUE) AS actor_provisional,
    p.role,
    i.incident_id,
    i.type,
    i.status,
    i.event_date,
    i.date_precision,
    coalesce(i.date_start, CAST(i.first_seen AS DATE)) AS sort_date,
    p.other_id AS counterpart_id,
    coalesce(o.name, p.other_text) AS counterpart_name,
    i.amount_value,
    i.amount_currency,
    i.n_documents,
    i.n_sources,
    i.headline,
    i.storyline_id,
    i.storyline_seq
FROM (
    SELECT incident_id, actor_id AS party_id, actor_text AS party_text, 'actor' AS role,
           target_id AS other_id, target_text AS other_text
    FROM incidents WHERE actor_id IS NOT NULL
    UNION ALL
    SELECT incident_id, target_id, target_text, 'target', actor_id, actor_text
    FROM incidents WHERE target_id IS NOT NULL
) p
JOIN incidents i ON i.incident_id = p.incident_id
LEFT JOIN actors a ON a.actor_id = p.party_id
LEFT JOIN actors o ON o.actor_id = p.other_id;
