package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/vigilhq/vigil/coordinator/internal/incident"
	"github.com/vigilhq/vigil/coordinator/internal/store"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// maxNoteBytes caps a note or a name given to the API.
const maxNoteBytes = 4 << 10

// ListIncidents returns incidents, newest first.
func (s *Server) ListIncidents(ctx context.Context, req *vigilv1.ListIncidentsRequest) (*vigilv1.ListIncidentsResponse, error) {
	if req.GetLimit() > 1000 {
		return nil, status.Error(codes.InvalidArgument, "limit: at most 1000")
	}
	incs, err := s.inc.List(ctx, store.IncidentQuery{CheckID: req.GetCheckId(), OpenOnly: req.GetOpenOnly(), Limit: int(req.GetLimit())})
	if err != nil {
		return nil, s.internal(ctx, "list incidents", err)
	}
	return &vigilv1.ListIncidentsResponse{Incidents: incs}, nil
}

// GetIncident returns one incident with its timeline.
func (s *Server) GetIncident(ctx context.Context, req *vigilv1.GetIncidentRequest) (*vigilv1.GetIncidentResponse, error) {
	inc, err := s.inc.Get(ctx, req.GetId())
	if err != nil {
		return nil, s.incidentError(ctx, req.GetId(), err)
	}
	return &vigilv1.GetIncidentResponse{Incident: inc}, nil
}

// AcknowledgeIncident acknowledges an open incident.
func (s *Server) AcknowledgeIncident(ctx context.Context, req *vigilv1.AcknowledgeIncidentRequest) (*vigilv1.AcknowledgeIncidentResponse, error) {
	by, err := actor(req.GetBy())
	if err != nil {
		return nil, err
	}
	inc, err := s.inc.Acknowledge(ctx, req.GetId(), by, time.Now())
	if err != nil {
		return nil, s.incidentError(ctx, req.GetId(), err)
	}
	return &vigilv1.AcknowledgeIncidentResponse{Incident: inc}, nil
}

// AddIncidentNote adds a note to an incident's timeline.
func (s *Server) AddIncidentNote(ctx context.Context, req *vigilv1.AddIncidentNoteRequest) (*vigilv1.AddIncidentNoteResponse, error) {
	by, err := actor(req.GetBy())
	if err != nil {
		return nil, err
	}
	if len(req.GetText()) > maxNoteBytes {
		return nil, status.Errorf(codes.InvalidArgument, "text: at most %d bytes", maxNoteBytes)
	}
	inc, err := s.inc.AddNote(ctx, req.GetId(), by, req.GetText(), time.Now())
	if err != nil {
		return nil, s.incidentError(ctx, req.GetId(), err)
	}
	return &vigilv1.AddIncidentNoteResponse{Incident: inc}, nil
}

// ResolveIncident resolves an incident by hand.
func (s *Server) ResolveIncident(ctx context.Context, req *vigilv1.ResolveIncidentRequest) (*vigilv1.ResolveIncidentResponse, error) {
	by, err := actor(req.GetBy())
	if err != nil {
		return nil, err
	}
	if len(req.GetNote()) > maxNoteBytes {
		return nil, status.Errorf(codes.InvalidArgument, "note: at most %d bytes", maxNoteBytes)
	}
	inc, err := s.inc.Resolve(ctx, req.GetId(), by, req.GetNote(), time.Now())
	if err != nil {
		return nil, s.incidentError(ctx, req.GetId(), err)
	}
	return &vigilv1.ResolveIncidentResponse{Incident: inc}, nil
}

// ListMaintenanceWindows returns every window and the active ones.
func (s *Server) ListMaintenanceWindows(ctx context.Context, _ *vigilv1.ListMaintenanceWindowsRequest) (*vigilv1.ListMaintenanceWindowsResponse, error) {
	all, active := s.inc.Windows(time.Now())
	return &vigilv1.ListMaintenanceWindowsResponse{Windows: all, Active: active}, nil
}

// CreateMaintenanceWindow adds a window.
func (s *Server) CreateMaintenanceWindow(ctx context.Context, req *vigilv1.CreateMaintenanceWindowRequest) (*vigilv1.CreateMaintenanceWindowResponse, error) {
	w := req.GetWindow()
	if w == nil {
		return nil, status.Error(codes.InvalidArgument, "window: required")
	}
	by, err := actor(w.GetCreatedBy())
	if err != nil {
		return nil, err
	}
	stored, err := s.inc.CreateWindow(ctx, w, by)
	if err != nil {
		return nil, s.incidentError(ctx, "", err)
	}
	return &vigilv1.CreateMaintenanceWindowResponse{Window: stored}, nil
}

// DeleteMaintenanceWindow removes a window created through the API.
func (s *Server) DeleteMaintenanceWindow(ctx context.Context, req *vigilv1.DeleteMaintenanceWindowRequest) (*vigilv1.DeleteMaintenanceWindowResponse, error) {
	if err := s.inc.DeleteWindow(ctx, req.GetId()); err != nil {
		return nil, s.incidentError(ctx, req.GetId(), err)
	}
	return &vigilv1.DeleteMaintenanceWindowResponse{}, nil
}

// actor checks the name of who acts; empty means "api".
func actor(by string) (string, error) {
	by = strings.TrimSpace(by)
	switch {
	case by == "":
		return "api", nil
	case len(by) > 200 || strings.ContainsAny(by, "\r\n"):
		return "", status.Error(codes.InvalidArgument, "by: at most 200 bytes on one line")
	}
	return by, nil
}

// incidentError maps the incident manager's errors to gRPC codes.
func (s *Server) incidentError(ctx context.Context, id string, err error) error {
	switch {
	case errors.Is(err, incident.ErrNotFound):
		return status.Errorf(codes.NotFound, "%q not found", id)
	case errors.Is(err, incident.ErrResolved):
		return status.Errorf(codes.FailedPrecondition, "incident %q is already resolved", id)
	case errors.Is(err, incident.ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return s.internal(ctx, "incident call", err)
}
