-- results holds one row per stored result. The indexed columns serve the
-- queries; payload is the whole vigil.v1.Result without its screenshot.
-- Times are unix microseconds.
CREATE TABLE results (
    id          TEXT    PRIMARY KEY,
    check_id    TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    probe_id    TEXT    NOT NULL,
    slot        INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    error_class INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    payload     BLOB    NOT NULL
);

-- id is the keyset tie-breaker of every listing, so it ends each index.
CREATE INDEX results_by_check_region ON results (check_id, region, started_at DESC, id DESC);
CREATE INDEX results_by_check        ON results (check_id, started_at DESC, id DESC);
CREATE INDEX results_by_time         ON results (started_at DESC, id DESC);

-- screenshots are kept apart so listings never read them unless asked.
CREATE TABLE screenshots (
    result_id TEXT PRIMARY KEY REFERENCES results (id) ON DELETE CASCADE,
    data      BLOB NOT NULL
);

-- latest is the newest result per check and region, maintained in the same
-- transaction as the insert. last_pass_at is NULL before the first pass;
-- consecutive_failures counts fail results started after last_pass_at.
CREATE TABLE latest (
    check_id             TEXT    NOT NULL,
    region               TEXT    NOT NULL,
    result_id            TEXT    NOT NULL,
    started_at           INTEGER NOT NULL,
    payload              BLOB    NOT NULL,
    last_pass_at         INTEGER,
    consecutive_failures INTEGER NOT NULL,
    PRIMARY KEY (check_id, region)
) WITHOUT ROWID;
