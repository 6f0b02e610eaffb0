-- rollups holds one bucket per check x region x step x resolution x bucket
-- start. Minute buckets are folded from results in the transaction that
-- stores them (see analytics/rollup); hour and day buckets are compacted
-- from them once their period ends (see rollup_marks). step 0 is the whole run; steps 1..n are a browser
-- flow's steps by index. res is a vigil.v1.Resolution (1 minute, 2 hour,
-- 3 day); start is the bucket's start in unix seconds, aligned in UTC.
--
-- The counters are plain columns so they can be summed without decoding a
-- sketch. The sketches are DDSketch protobuf messages (NULL when the bucket
-- has no value of that kind): duration is the run's time at step 0 and the
-- step's time at steps 1..n; ttfb, load, lcp and cls exist only at step 0.
-- Durations are milliseconds, CLS the unitless score.
--
-- The key leads with check and resolution so a report reads one check's
-- buckets of a range in key order; blobs come last so the counters stay on
-- the b-tree page when a sketch spills to overflow pages.
CREATE TABLE rollups (
    check_id    TEXT    NOT NULL,
    res         INTEGER NOT NULL,
    start       INTEGER NOT NULL,
    region      TEXT    NOT NULL,
    step        INTEGER NOT NULL,
    step_name   TEXT    NOT NULL,
    pass        INTEGER NOT NULL,
    fail        INTEGER NOT NULL,
    probe_error INTEGER NOT NULL,
    reached     INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    lcp_good    INTEGER NOT NULL,
    lcp_ni      INTEGER NOT NULL,
    lcp_poor    INTEGER NOT NULL,
    cls_good    INTEGER NOT NULL,
    cls_ni      INTEGER NOT NULL,
    cls_poor    INTEGER NOT NULL,
    ttfb_good   INTEGER NOT NULL,
    ttfb_ni     INTEGER NOT NULL,
    ttfb_poor   INTEGER NOT NULL,
    duration    BLOB,
    ttfb        BLOB,
    load        BLOB,
    lcp         BLOB,
    cls         BLOB,
    PRIMARY KEY (check_id, res, start, region, step)
) WITHOUT ROWID;

-- rollup_marks says, per check, up to where hour (res 2) and day (res 3)
-- buckets are stored: buckets starting before upto (unix seconds) are in
-- rollups; later ones are not written yet, and readers merge them from the
-- finer buckets. Compaction writes each hour and day once, after it ends,
-- instead of rewriting the current hour's and day's sketches with every
-- insert. A check without a row has none stored.
CREATE TABLE rollup_marks (
    check_id TEXT    NOT NULL,
    res      INTEGER NOT NULL,
    upto     INTEGER NOT NULL,
    PRIMARY KEY (check_id, res)
) WITHOUT ROWID;

-- check_states is the decided state history: one row per quorum state
-- change ("up", "degraded", "down", "unknown"). A state lasts until the
-- check's next row. at is unix microseconds; two changes at the same instant
-- keep the last.
CREATE TABLE check_states (
    check_id TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    state    TEXT    NOT NULL,
    PRIMARY KEY (check_id, at)
) WITHOUT ROWID;

-- incidents_by_opened serves the report's "incidents opened in the range".
CREATE INDEX incidents_by_opened ON incidents (check_id, opened_at);
