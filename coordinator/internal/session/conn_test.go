package session

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/vigilhq/vigil/coordinator/internal/ingest"
	"github.com/vigilhq/vigil/coordinator/internal/probes"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func TestSendOverflowCancelsStream(t *testing.T) {
	ctx, cancel := context.WithCancelCause(t.Context())
	c := newConn(ctx, cancel)
	for range sendQueueLen {
		c.Send(&vigilv1.ConnectResponse{})
	}
	select {
	case <-c.Done():
		t.Fatal("stream cancelled before its queue was full")
	default:
	}
	c.Send(&vigilv1.ConnectResponse{}) // the probe is not reading
	<-c.Done()
	if got := status.Code(toStatus(context.Cause(ctx))); got != codes.ResourceExhausted {
		t.Fatalf("overflow maps to %v, want ResourceExhausted", got)
	}
}

func TestToStatus(t *testing.T) {
	for _, tt := range []struct {
		cause error
		want  codes.Code
	}{
		{errDone, codes.OK},
		{ErrShutdown, codes.Unavailable},
		{ingest.ErrClosed, codes.Unavailable},
		{probes.ErrReplaced, codes.Aborted},
		{status.Error(codes.InvalidArgument, "x"), codes.InvalidArgument},
		{context.Canceled, codes.Canceled},
		{fmt.Errorf("wrapped: %w", errSendOverflow), codes.ResourceExhausted},
	} {
		if got := status.Code(toStatus(tt.cause)); got != tt.want {
			t.Errorf("toStatus(%v) = %v, want %v", tt.cause, got, tt.want)
		}
	}
}

func TestAuthorize(t *testing.T) {
	const method = "/vigil.v1.ProbeService/Connect"
	ctxWith := func(vals ...string) context.Context {
		md := metadata.MD{}
		for _, v := range vals {
			md.Append("authorization", v)
		}
		return metadata.NewIncomingContext(t.Context(), md)
	}
	for _, tt := range []struct {
		name, token, method string
		ctx                 context.Context
		ok                  bool
	}{
		{"no token configured", "", method, t.Context(), true},
		{"other service", "tok", "/vigil.v1.VigilService/ListChecks", t.Context(), true},
		{"right", "tok", method, ctxWith("Bearer tok"), true},
		{"scheme case", "tok", method, ctxWith("bearer tok"), true},
		{"missing", "tok", method, t.Context(), false},
		{"wrong", "tok", method, ctxWith("Bearer tak"), false},
		{"prefix of token", "tok", method, ctxWith("Bearer to"), false},
		{"two values", "tok", method, ctxWith("Bearer tok", "Bearer tok"), false},
		{"short", "tok", method, ctxWith("Bear"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := authorize(tt.ctx, tt.token, tt.method)
			if (err == nil) != tt.ok {
				t.Fatalf("authorize = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && status.Code(err) != codes.Unauthenticated {
				t.Fatalf("code %v, want Unauthenticated", status.Code(err))
			}
		})
	}
}
