-- incidents holds one row per incident. body is the whole vigil.v1.Incident
-- without its timeline; the columns serve the queries and analytics (MTTD,
-- MTTR). Times are unix microseconds; resolved_at is NULL while open.
CREATE TABLE incidents (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    check_id         TEXT    NOT NULL,
    kind             INTEGER NOT NULL,
    status           INTEGER NOT NULL,
    first_failure_at INTEGER,
    opened_at        INTEGER NOT NULL,
    resolved_at      INTEGER,
    body             BLOB    NOT NULL
);

CREATE INDEX incidents_by_check ON incidents (check_id, seq DESC);
CREATE INDEX incidents_open     ON incidents (status) WHERE status != 3;

-- incident_events is each incident's timeline, in order of n.
CREATE TABLE incident_events (
    n            INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_seq INTEGER NOT NULL REFERENCES incidents (seq) ON DELETE CASCADE,
    body         BLOB    NOT NULL
);

CREATE INDEX incident_events_by_incident ON incident_events (incident_seq, n);

-- maintenance_windows holds the windows created through the API; the check
-- file's windows are not stored. body is a vigil.v1.MaintenanceWindow.
CREATE TABLE maintenance_windows (
    id   TEXT PRIMARY KEY,
    body BLOB NOT NULL
) WITHOUT ROWID;

-- dead_letters keeps each notification given up on after its last attempt,
-- so an operator can see what never arrived. message is the JSON the
-- channel would have rendered from.
CREATE TABLE dead_letters (
    n           INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    channel     TEXT    NOT NULL,
    incident_id TEXT    NOT NULL,
    message     BLOB    NOT NULL,
    error       TEXT    NOT NULL
);
