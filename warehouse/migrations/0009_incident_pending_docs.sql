-- Documents whose events were (re)loaded since incidents were last updated: the next update
-- compares only their events with what was grouped. Warehouses migrated here regroup once.
CREATE TABLE incident_pending_docs (doc_id VARCHAR PRIMARY KEY);
DELETE FROM incident_build WHERE name = 'settings';
