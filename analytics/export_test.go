package analytics

import "time"

// LostTime exposes loss.of to the tests.
func LostTime(baseline float64, perRun, d time.Duration, pass, fail int64) time.Duration {
	return loss{baseline: baseline, perRun: perRun}.of(d, votes{pass: pass, fail: fail})
}
