-- check_states gains a region: the row with region '' is the check's
-- decided state, as before; a row with a region is that region's decided
-- verdict ("up", "degraded" when its page budget is breached, "down" once
-- a failure is confirmed, "unknown" when stale or without a live probe),
-- which regional uptime is computed from. A state lasts until the next row
-- of the same check and region.
CREATE TABLE check_states_v4 (
    check_id TEXT    NOT NULL,
    region   TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    state    TEXT    NOT NULL,
    PRIMARY KEY (check_id, region, at)
) WITHOUT ROWID;
INSERT INTO check_states_v4 (check_id, region, at, state)
    SELECT check_id, '', at, state FROM check_states;
DROP TABLE check_states;
ALTER TABLE check_states_v4 RENAME TO check_states;
