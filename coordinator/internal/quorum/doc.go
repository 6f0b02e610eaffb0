// Package quorum is the coordinator's pure decision engine (DESIGN section 3):
// it turns the stream of stored results into per-region verdicts and a check
// state (up, degraded, down, unknown), and asks for fast confirmation when a
// region fails for the first time.
//
// The engine has no goroutines, timers, I/O or logger of its own. Time comes
// in as arguments (now), so every decision is deterministic and the caller
// (the coordinator) owns the clock, the Tick loop, run-now delivery and
// incidents. Every method is safe for concurrent use.
//
// # Semantics chosen where DESIGN leaves room
//
//   - Ordering. Within a region, results are ordered by (slot, attempt,
//     started_at, probe_id). The latest result is the greatest one; a late
//     result that orders before it (an outbox redelivery after a restart)
//     never overrides it. Slot comes first so that skewed probe clocks cannot
//     reorder rounds.
//   - Redelivery. A result is identified by (probe_id, slot, attempt), the
//     inputs of its deterministic id; a repeat is ignored entirely.
//   - Confirmation. A region is failing when its latest result failed and at
//     least two distinct failing results order after its newest pass: the
//     second attempt of the same slot (a retry by another probe, or a second
//     probe when probes_per_region > 1) or the next slot. probe_error results
//     neither confirm nor break such a streak. A single failure is suspect:
//     the region stays up (RegionDetail.Suspect is set) and the engine returns
//     one ConfirmRequested decision for that failure streak.
//   - Rounds. A region's verdict is its latest result, whatever its round. An
//     up region whose newest pass is from an older round than another region's
//     failure still counts as up: dropping it would shrink the eligible set,
//     which lowers a majority quorum (a false page) or drops below min_regions
//     (a false "monitoring impaired"). Counting it only delays down until its
//     own vote for the newer round arrives, which fast confirmation requests at
//     once. A missing vote is therefore never a failure.
//   - Staleness. A region is stale when no new result from it has arrived for
//     longer than 2 x interval + timeout, measured on the coordinator's clock
//     (the now of Observe), never on the probes' started_at. A region that has
//     never reported is stale too, so a fresh check starts unknown.
//   - Liveness. Regions gossip has not reported yet are assumed live;
//     SetRegionLive(region, 0, now) excludes a region until it reports a
//     positive count.
//   - Budget. Per region the engine keeps the last 5 passing results received
//     and takes the nearest-rank p75 of load_us, lcp_us and duration_us
//     (zero values, meaning not measured, are skipped). A region breaches when
//     any budgeted p75 is strictly greater than its limit; only up regions
//     count, and a breach in at least quorum regions makes the check degraded.
package quorum
