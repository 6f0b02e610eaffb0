package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/analytics"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Analytics computes reports and series; *analytics.Service implements it.
type Analytics interface {
	Report(ctx context.Context, checks []*vigilv1.Check, from, to time.Time, sloTarget float64) (*vigilv1.Report, error)
	Query(ctx context.Context, req *vigilv1.QueryMetricsRequest) (*vigilv1.Series, error)
}

var _ Analytics = (*analytics.Service)(nil)

// maxReportRange bounds a report's or series' range: a bit more than a
// year, so "this year against last" works, while one call stays bounded.
const maxReportRange = 400 * 24 * time.Hour

// maxReportChecks bounds the check ids one GetReport names.
const maxReportChecks = 1000

// GetReport returns the analytics of the named checks (every loaded check
// when none is named) over [from, to).
func (s *Server) GetReport(ctx context.Context, req *vigilv1.GetReportRequest) (*vigilv1.GetReportResponse, error) {
	from, to, err := reportRange(req.GetFrom(), req.GetTo())
	if err != nil {
		return nil, err
	}
	if t := req.GetSloTarget(); t != 0 && !(t > 0 && t < 1) {
		return nil, status.Errorf(codes.InvalidArgument, "slo_target: %v is not between 0 and 1 (0.999 is three nines)", t)
	}
	if len(req.GetCheckIds()) > maxReportChecks {
		return nil, status.Errorf(codes.InvalidArgument, "check_ids: at most %d", maxReportChecks)
	}
	checks := s.cat.List()
	if ids := req.GetCheckIds(); len(ids) > 0 {
		checks = checks[:0:0]
		seen := map[string]bool{}
		for _, id := range ids {
			c, ok := s.cat.Get(id)
			if !ok {
				return nil, status.Errorf(codes.NotFound, "check %q is not loaded", id)
			}
			if !seen[id] {
				seen[id] = true
				checks = append(checks, c)
			}
		}
	}
	rep, err := s.an.Report(ctx, checks, from, to, req.GetSloTarget())
	if err != nil {
		return nil, s.analyticsError(ctx, "report", err)
	}
	return &vigilv1.GetReportResponse{Report: rep}, nil
}

// QueryMetrics returns a time series of one measure of one check.
func (s *Server) QueryMetrics(ctx context.Context, req *vigilv1.QueryMetricsRequest) (*vigilv1.QueryMetricsResponse, error) {
	if req.GetCheckId() == "" {
		return nil, status.Error(codes.InvalidArgument, "check_id: required")
	}
	if len(req.GetRegion()) > maxFilterLen || len(req.GetStep()) > maxFilterLen {
		return nil, status.Errorf(codes.InvalidArgument, "region and step are at most %d bytes", maxFilterLen)
	}
	if _, ok := s.cat.Get(req.GetCheckId()); !ok {
		return nil, status.Errorf(codes.NotFound, "check %q is not loaded", req.GetCheckId())
	}
	if _, _, err := reportRange(req.GetFrom(), req.GetTo()); err != nil {
		return nil, err
	}
	m := req.GetMeasure()
	if m == vigilv1.Measure_MEASURE_UNSPECIFIED {
		return nil, status.Errorf(codes.InvalidArgument, "measure: required, one of %s", measureNames())
	}
	if _, ok := vigilv1.Measure_name[int32(m)]; !ok {
		return nil, status.Errorf(codes.InvalidArgument, "measure: unknown value %d, want one of %s", m, measureNames())
	}
	if q := req.GetQuantile(); q != 0 && !(q > 0 && q < 1) {
		return nil, status.Errorf(codes.InvalidArgument, "quantile: %v is not between 0 and 1 (exclusive; 0.75 is p75)", q)
	}
	if r := req.GetResolution(); r != vigilv1.Resolution_RESOLUTION_UNSPECIFIED {
		if _, ok := vigilv1.Resolution_name[int32(r)]; !ok {
			return nil, status.Errorf(codes.InvalidArgument, "resolution: unknown value %d", r)
		}
	}
	if m == vigilv1.Measure_MEASURE_STEP && req.GetStep() == "" {
		return nil, status.Error(codes.InvalidArgument, "step: required for MEASURE_STEP (a step's name or 1-based index)")
	}
	series, err := s.an.Query(ctx, req)
	if err != nil {
		return nil, s.analyticsError(ctx, "query metrics", err)
	}
	return &vigilv1.QueryMetricsResponse{Series: series}, nil
}

// reportRange validates a request's range: from is required, to defaults to
// now and must be after from, and the range is at most maxReportRange.
func reportRange(fromTS, toTS *timestamppb.Timestamp) (from, to time.Time, err error) {
	if fromTS == nil {
		return from, to, status.Error(codes.InvalidArgument, "from: required")
	}
	if err := fromTS.CheckValid(); err != nil {
		return from, to, status.Errorf(codes.InvalidArgument, "from: %v", err)
	}
	from, to = fromTS.AsTime(), time.Now()
	if toTS != nil {
		if err := toTS.CheckValid(); err != nil {
			return from, to, status.Errorf(codes.InvalidArgument, "to: %v", err)
		}
		to = toTS.AsTime()
	}
	if !to.After(from) {
		return from, to, status.Errorf(codes.InvalidArgument, "to (%s) must be after from (%s)",
			to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	if to.Sub(from) > maxReportRange {
		return from, to, status.Errorf(codes.InvalidArgument, "range: %.1f days is more than %d days",
			to.Sub(from).Hours()/24, maxReportRange/(24*time.Hour))
	}
	return from, to, nil
}

// measureNames lists the valid measures for error messages.
func measureNames() string {
	var names []string
	for v := int32(1); ; v++ {
		n, ok := vigilv1.Measure_name[v]
		if !ok {
			break
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// analyticsError maps the analytics service's errors to gRPC codes.
func (s *Server) analyticsError(ctx context.Context, what string, err error) error {
	switch {
	case errors.Is(err, analytics.ErrInvalid):
		return status.Error(codes.InvalidArgument, strings.TrimPrefix(err.Error(), analytics.ErrInvalid.Error()+": "))
	case errors.Is(err, analytics.ErrNotFound):
		return status.Error(codes.NotFound, strings.TrimPrefix(err.Error(), analytics.ErrNotFound.Error()+": "))
	}
	return s.internal(ctx, what, err)
}
