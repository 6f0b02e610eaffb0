// Package runner defines the seam between the probe's scheduler and the code
// that knows how to run one kind of check once.
package runner

import (
	"context"
	"fmt"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Runner runs one check once.
//
// Run must return a non-nil result no later than shortly after ctx's
// deadline, which the caller derives from the check's timeout. The runner
// fills the outcome (Status, ErrorClass, Error, FailedStep...) and the
// timings; the caller fills the identity fields (Id, ProbeId, Region, Slot,
// Attempt, Seq, ScheduledAt, CheckId, CheckVersion). A failure of the site is
// RESULT_STATUS_FAIL; a failure of the probe itself (browser crashed or hung)
// is RESULT_STATUS_PROBE_ERROR with ERROR_CLASS_PROBE.
//
// Implementations are safe for concurrent use.
type Runner interface {
	Run(ctx context.Context, check *vigilv1.Check) *vigilv1.Result
}

// Registry maps each check type to its runner. It is built explicitly in
// one place (the probe's wiring), never by init-time self-registration.
type Registry map[vigilv1.CheckType]Runner

// Run runs check with the runner registered for its type. A check of a type
// with no runner yields a probe_error result: the probe cannot run it, which
// says nothing about the site.
func (r Registry) Run(ctx context.Context, check *vigilv1.Check) *vigilv1.Result {
	run, ok := r[check.GetType()]
	if !ok {
		return ProbeError(fmt.Errorf("no runner for check type %s", check.GetType()))
	}
	return run.Run(ctx, check)
}

// Capabilities lists the registered check types by their short names
// ("http", "browser"), as sent in the probe's hello.
func (r Registry) Capabilities() []string {
	var caps []string
	for _, t := range []vigilv1.CheckType{vigilv1.CheckType_CHECK_TYPE_HTTP, vigilv1.CheckType_CHECK_TYPE_BROWSER} {
		if _, ok := r[t]; ok {
			caps = append(caps, t.Capability())
		}
	}
	return caps
}

// ProbeError returns a probe_error result for err.
func ProbeError(err error) *vigilv1.Result {
	return &vigilv1.Result{
		Status:     vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR,
		ErrorClass: vigilv1.ErrorClass_ERROR_CLASS_PROBE,
		Error:      err.Error(),
	}
}

// Fail returns a fail result of class for err.
func Fail(class vigilv1.ErrorClass, err error) *vigilv1.Result {
	return &vigilv1.Result{
		Status:     vigilv1.ResultStatus_RESULT_STATUS_FAIL,
		ErrorClass: class,
		Error:      err.Error(),
	}
}
