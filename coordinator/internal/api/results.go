package api

import (
	"context"
	"errors"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/vigilhq/vigil/coordinator/internal/ingest"
	"github.com/vigilhq/vigil/coordinator/internal/store"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// defaultPageSize applies when a request leaves page_size 0.
const defaultPageSize = 100

// maxFilterLen bounds the check and region filters; longer ones match nothing
// that validation would have let in.
const maxFilterLen = 128

// watchBuffer is how many results a watcher may fall behind before it is
// dropped with ResourceExhausted.
const watchBuffer = 256

// ListResults pages through stored results, newest first.
func (s *Server) ListResults(ctx context.Context, req *vigilv1.ListResultsRequest) (*vigilv1.ListResultsResponse, error) {
	q := store.Query{
		CheckID: req.GetCheckId(), Region: req.GetRegion(),
		PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
		IncludeScreenshots: req.GetIncludeScreenshots(),
	}
	switch {
	case req.GetPageSize() > store.MaxPageSize:
		return nil, status.Errorf(codes.InvalidArgument, "page_size %d is more than %d", req.GetPageSize(), store.MaxPageSize)
	case req.GetPageSize() == 0:
		q.PageSize = defaultPageSize
	}
	if len(q.CheckID) > maxFilterLen || len(q.Region) > maxFilterLen {
		return nil, status.Errorf(codes.InvalidArgument, "check_id and region are at most %d bytes", maxFilterLen)
	}
	if ts := req.GetStartTime(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "start_time: %v", err)
		}
		q.Start = ts.AsTime()
	}
	if ts := req.GetEndTime(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "end_time: %v", err)
		}
		q.End = ts.AsTime()
	}
	if !q.Start.IsZero() && !q.End.IsZero() && q.End.Before(q.Start) {
		return nil, status.Error(codes.InvalidArgument, "end_time is before start_time")
	}
	page, err := s.results.ListResults(ctx, q)
	if errors.Is(err, store.ErrBadPageToken) {
		return nil, status.Error(codes.InvalidArgument, "page_token is not one this server issued")
	}
	if err != nil {
		return nil, s.internal(ctx, "list results", err)
	}
	return &vigilv1.ListResultsResponse{Results: page.Results, NextPageToken: page.NextPageToken}, nil
}

// WatchResults streams newly stored results until the client leaves, the
// client falls behind (ResourceExhausted) or the coordinator stops
// (Unavailable). A result is sent once, when first stored; redelivered
// duplicates are not sent again.
func (s *Server) WatchResults(req *vigilv1.WatchResultsRequest, stream grpc.ServerStreamingServer[vigilv1.WatchResultsResponse]) error {
	sub := s.watch.Subscribe(req.GetCheckId(), req.GetRegion(), watchBuffer)
	defer s.watch.Unsubscribe(sub)
	// Headers go out now, so a client knows it is subscribed before the
	// first result arrives.
	if err := stream.SendHeader(nil); err != nil {
		return err
	}
	ctx := stream.Context()
	for {
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-sub.Done():
			if errors.Is(sub.Err(), ingest.ErrTooSlow) {
				return status.Error(codes.ResourceExhausted, "watcher too slow: results were published faster than it read them")
			}
			return status.Error(codes.Unavailable, sub.Err().Error())
		case r := <-sub.C():
			if err := stream.Send(&vigilv1.WatchResultsResponse{Result: r}); err != nil {
				return err
			}
		}
	}
}

func sortedUnique(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}
