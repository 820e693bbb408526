-- Near-duplicate fingerprints of documents (64-bit simhash), so a syndicated copy fetched
-- later is linked to the story it repeats without re-reading every stored text.

CREATE TABLE document_fingerprints (
    doc_id   VARCHAR PRIMARY KEY,
    story_id VARCHAR NOT NULL,
    simhash  UBIGINT NOT NULL
);
CREATE INDEX fetch_log_source_time ON fetch_log (source, fetched_at);
