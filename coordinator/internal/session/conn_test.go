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
	const ack = "/vigil.v1.VigilService/AcknowledgeIncident"
	ctxWith := func(vals ...string) context.Context {
		md := metadata.MD{}
		for _, v := range vals {
			md.Append("authorization", v)
		}
		return metadata.NewIncomingContext(t.Context(), md)
	}
	probe := Tokens{Probe: "tok"}
	both := Tokens{Probe: "tok", Admin: "adm"}
	for _, tt := range []struct {
		name   string
		tokens Tokens
		method string
		ctx    context.Context
		code   codes.Code
	}{
		{"no token configured", Tokens{}, method, t.Context(), codes.OK},
		{"read call", both, "/vigil.v1.VigilService/ListChecks", t.Context(), codes.OK},
		{"right", probe, method, ctxWith("Bearer tok"), codes.OK},
		{"scheme case", probe, method, ctxWith("bearer tok"), codes.OK},
		{"missing", probe, method, t.Context(), codes.Unauthenticated},
		{"wrong", probe, method, ctxWith("Bearer tak"), codes.Unauthenticated},
		{"prefix of token", probe, method, ctxWith("Bearer to"), codes.Unauthenticated},
		{"two values", probe, method, ctxWith("Bearer tok", "Bearer tok"), codes.Unauthenticated},
		{"short", probe, method, ctxWith("Bear"), codes.Unauthenticated},
		{"admin call without admin token configured", probe, ack, ctxWith("Bearer tok"), codes.PermissionDenied},
		{"admin call with the probe token", both, ack, ctxWith("Bearer tok"), codes.Unauthenticated},
		{"admin call without a token", both, ack, t.Context(), codes.Unauthenticated},
		{"admin call", both, ack, ctxWith("Bearer adm"), codes.OK},
		{"run now is a write call", both, "/vigil.v1.VigilService/RunCheck", t.Context(), codes.Unauthenticated},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := authorize(tt.ctx, tt.tokens, tt.method); status.Code(err) != tt.code {
				t.Fatalf("authorize = %v, want code %v", err, tt.code)
			}
		})
	}
}
