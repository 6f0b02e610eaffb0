// Package api serves VigilService, the coordinator's read and control API.
package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/vigilhq/vigil/coordinator/internal/catalog"
	"github.com/vigilhq/vigil/coordinator/internal/incident"
	"github.com/vigilhq/vigil/coordinator/internal/ingest"
	"github.com/vigilhq/vigil/coordinator/internal/probes"
	"github.com/vigilhq/vigil/coordinator/internal/quorum"
	"github.com/vigilhq/vigil/coordinator/internal/store"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Results is the read side of the store; *store.Store implements it.
type Results interface {
	ListResults(ctx context.Context, q store.Query) (store.Page, error)
	Latest(ctx context.Context, checkID string) ([]store.Latest, error)
}

var _ Results = (*store.Store)(nil)

// Decisions is the quorum engine's read side; *quorum.Engine implements it.
type Decisions interface {
	Status(checkID string, now time.Time) (quorum.CheckStatus, bool)
}

var _ Decisions = (*quorum.Engine)(nil)

// Server implements vigilv1.VigilServiceServer. It is safe for concurrent use.
type Server struct {
	vigilv1.UnimplementedVigilServiceServer

	cat     *catalog.Catalog
	results Results
	reg     *probes.Registry
	watch   *ingest.Broadcaster
	decided Decisions
	inc     *incident.Manager
	an      Analytics
	log     *slog.Logger
}

// New returns the API server.
func New(cat *catalog.Catalog, results Results, reg *probes.Registry, watch *ingest.Broadcaster, decided Decisions, inc *incident.Manager, an Analytics, log *slog.Logger) *Server {
	return &Server{cat: cat, results: results, reg: reg, watch: watch, decided: decided, inc: inc, an: an, log: log}
}
