package ingest

import (
	"fmt"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Limits on what a probe may send. They are generous for honest probes and
// keep one message from costing the store or the API much.
const (
	MaxNameLen         = 64      // probe id, region
	MaxResultIDLen     = 128     // result id; ids are digests, far shorter
	MaxCheckIDLen      = 128     // check id and check_version
	MaxVersionLen      = 128     // probe build version
	MaxCapabilities    = 16      // hello capabilities
	MaxCapabilityLen   = 32      // one capability
	MaxBatch           = 1000    // results per batch (ResultBatch's contract)
	MaxErrorLen        = 4 << 10 // result error message
	MaxStepNameLen     = 256     // failed_step_name, step names
	MaxURLLen          = 4 << 10 // step and failed-request URLs
	MaxSteps           = 256     // steps per result
	MaxConsoleErrors   = 100     // console_errors per result
	MaxConsoleErrorLen = 4 << 10 // one console error
	MaxFailedRequests  = 100     // failed_requests per result
	MaxScreenshot      = 1 << 20 // screenshot bytes
)

// ValidateHello checks a session's first message.
func ValidateHello(h *vigilv1.Hello) error {
	if err := validName("probe_id", h.GetProbeId()); err != nil {
		return err
	}
	if err := validName("region", h.GetRegion()); err != nil {
		return err
	}
	if len(h.GetVersion()) > MaxVersionLen {
		return fmt.Errorf("version longer than %d bytes", MaxVersionLen)
	}
	if len(h.GetCapabilities()) > MaxCapabilities {
		return fmt.Errorf("more than %d capabilities", MaxCapabilities)
	}
	for _, c := range h.GetCapabilities() {
		if c == "" || len(c) > MaxCapabilityLen {
			return fmt.Errorf("capability %q: must be 1 to %d bytes", c, MaxCapabilityLen)
		}
	}
	return nil
}

// validName checks a probe id or region: 1 to 64 bytes of [A-Za-z0-9._-].
func validName(field, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", field)
	}
	if len(s) > MaxNameLen {
		return fmt.Errorf("%s is longer than %d bytes", field, MaxNameLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%s %q: only letters, digits, '.', '_' and '-' are allowed", field, s)
		}
	}
	return nil
}

// ValidateBatch checks every result of a batch from the session that said
// hello. It returns the first problem, naming the result by index and id; a
// batch with any problem must be rejected whole.
func ValidateBatch(hello *vigilv1.Hello, b *vigilv1.ResultBatch) error {
	rs := b.GetResults()
	if len(rs) > MaxBatch {
		return fmt.Errorf("batch has %d results, more than %d", len(rs), MaxBatch)
	}
	for i, r := range rs {
		if err := validateResult(hello, r); err != nil {
			return fmt.Errorf("result %d (id %q): %w", i, truncate(r.GetId(), MaxResultIDLen), err)
		}
	}
	return nil
}

func validateResult(hello *vigilv1.Hello, r *vigilv1.Result) error {
	switch {
	case r.GetId() == "":
		return fmt.Errorf("id is empty")
	case len(r.GetId()) > MaxResultIDLen:
		return fmt.Errorf("id is longer than %d bytes", MaxResultIDLen)
	case r.GetProbeId() != hello.GetProbeId():
		return fmt.Errorf("probe_id %q is not this session's probe %q", truncate(r.GetProbeId(), MaxNameLen), hello.GetProbeId())
	case r.GetRegion() != hello.GetRegion():
		return fmt.Errorf("region %q is not this session's region %q", truncate(r.GetRegion(), MaxNameLen), hello.GetRegion())
	case r.GetCheckId() == "":
		return fmt.Errorf("check_id is empty")
	case len(r.GetCheckId()) > MaxCheckIDLen:
		return fmt.Errorf("check_id is longer than %d bytes", MaxCheckIDLen)
	case len(r.GetCheckVersion()) > MaxCheckIDLen:
		return fmt.Errorf("check_version is longer than %d bytes", MaxCheckIDLen)
	case r.GetStatus() == vigilv1.ResultStatus_RESULT_STATUS_UNSPECIFIED:
		return fmt.Errorf("status is unspecified")
	case vigilv1.ResultStatus_name[int32(r.GetStatus())] == "":
		return fmt.Errorf("status %d is unknown", r.GetStatus())
	case vigilv1.ErrorClass_name[int32(r.GetErrorClass())] == "":
		return fmt.Errorf("error_class %d is unknown", r.GetErrorClass())
	case r.GetStartedAt() == nil:
		return fmt.Errorf("started_at is missing")
	case r.GetStartedAt().CheckValid() != nil:
		return fmt.Errorf("started_at: %w", r.GetStartedAt().CheckValid())
	case r.GetScheduledAt() != nil && r.GetScheduledAt().CheckValid() != nil:
		return fmt.Errorf("scheduled_at: %w", r.GetScheduledAt().CheckValid())
	case len(r.GetError()) > MaxErrorLen:
		return fmt.Errorf("error is longer than %d bytes", MaxErrorLen)
	case len(r.GetFailedStepName()) > MaxStepNameLen:
		return fmt.Errorf("failed_step_name is longer than %d bytes", MaxStepNameLen)
	case len(r.GetScreenshot()) > MaxScreenshot:
		return fmt.Errorf("screenshot is %d bytes, more than %d", len(r.GetScreenshot()), MaxScreenshot)
	}
	return validateDetails(r)
}

// validateDetails checks the repeated fields of a result.
func validateDetails(r *vigilv1.Result) error {
	if len(r.GetSteps()) > MaxSteps {
		return fmt.Errorf("more than %d steps", MaxSteps)
	}
	for j, s := range r.GetSteps() {
		if len(s.GetName()) > MaxStepNameLen || len(s.GetUrl()) > MaxURLLen {
			return fmt.Errorf("step %d: name or url too long", j)
		}
	}
	if len(r.GetConsoleErrors()) > MaxConsoleErrors {
		return fmt.Errorf("more than %d console_errors", MaxConsoleErrors)
	}
	for j, e := range r.GetConsoleErrors() {
		if len(e) > MaxConsoleErrorLen {
			return fmt.Errorf("console_errors[%d] is longer than %d bytes", j, MaxConsoleErrorLen)
		}
	}
	if len(r.GetFailedRequests()) > MaxFailedRequests {
		return fmt.Errorf("more than %d failed_requests", MaxFailedRequests)
	}
	for j, f := range r.GetFailedRequests() {
		if len(f.GetUrl()) > MaxURLLen || len(f.GetError()) > MaxErrorLen {
			return fmt.Errorf("failed_requests[%d]: url or error too long", j)
		}
	}
	return nil
}

// truncate shortens s for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
