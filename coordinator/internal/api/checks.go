package api

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/coordinator/internal/quorum"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// ListChecks returns the loaded checks sorted by name.
func (s *Server) ListChecks(ctx context.Context, _ *vigilv1.ListChecksRequest) (*vigilv1.ListChecksResponse, error) {
	return &vigilv1.ListChecksResponse{Checks: s.cat.List()}, nil
}

// GetCheckStatus returns the check's state decided by the quorum engine and
// one RegionStatus per region of the check, sorted by region, with the
// engine's verdict; a region without results has only its name and verdict
// set.
func (s *Server) GetCheckStatus(ctx context.Context, req *vigilv1.GetCheckStatusRequest) (*vigilv1.GetCheckStatusResponse, error) {
	check, ok := s.cat.Get(req.GetCheckId())
	if !ok {
		return nil, status.Errorf(codes.NotFound, "check %q is not loaded", req.GetCheckId())
	}
	latest, err := s.results.Latest(ctx, check.GetId())
	if err != nil {
		return nil, s.internal(ctx, "read latest results", err)
	}
	byRegion := make(map[string]*vigilv1.RegionStatus, len(latest))
	for _, l := range latest {
		rs := &vigilv1.RegionStatus{Region: l.Region, Last: l.Result, ConsecutiveFailures: l.ConsecutiveFailures}
		if !l.LastPassAt.IsZero() {
			rs.LastPassAt = timestamppb.New(l.LastPassAt)
		}
		byRegion[l.Region] = rs
	}
	resp := &vigilv1.GetCheckStatusResponse{Check: check, State: string(quorum.StateUnknown)}
	decided, ok := s.decided.Status(check.GetId(), time.Now())
	if ok {
		resp.State = string(decided.State)
	}
	if s.inc != nil {
		info := s.inc.CheckInfo(check.GetId(), time.Now())
		resp.OpenIncidentId, resp.InMaintenance, resp.Flapping = info.OpenIncidentID, info.InMaintenance, info.Flapping
	}
	for _, region := range sortedUnique(check.GetRegions()) {
		rs := byRegion[region]
		if rs == nil {
			rs = &vigilv1.RegionStatus{Region: region}
		}
		if d, ok := decided.Regions[region]; ok {
			rs.Verdict, rs.Suspect = string(d.Verdict), d.Suspect
		}
		resp.Regions = append(resp.Regions, rs)
	}
	return resp, nil
}

// RunCheck asks the owner of the check in each of its regions to run it now.
func (s *Server) RunCheck(ctx context.Context, req *vigilv1.RunCheckRequest) (*vigilv1.RunCheckResponse, error) {
	check, ok := s.cat.Get(req.GetCheckId())
	if !ok {
		return nil, status.Errorf(codes.NotFound, "check %q is not loaded", req.GetCheckId())
	}
	asked := s.reg.RunNow(check, "requested through the API at "+time.Now().UTC().Format(time.RFC3339))
	return &vigilv1.RunCheckResponse{ProbeIds: asked}, nil
}

// ListProbes returns connected and recently disconnected probes.
func (s *Server) ListProbes(ctx context.Context, _ *vigilv1.ListProbesRequest) (*vigilv1.ListProbesResponse, error) {
	return &vigilv1.ListProbesResponse{Probes: s.reg.Probes()}, nil
}

// internal logs err and returns a status that does not leak it.
func (s *Server) internal(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	s.log.Error(what, "err", err)
	return status.Errorf(codes.Internal, "%s failed", what)
}
