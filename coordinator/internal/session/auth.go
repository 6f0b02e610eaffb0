package session

import (
	"context"
	"crypto/subtle"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// probeMethodPrefix selects the methods a probe token guards.
var probeMethodPrefix = "/" + vigilv1.ProbeService_ServiceDesc.ServiceName + "/"

// adminMethods are the VigilService calls that change something: they need
// the admin token.
var adminMethods = map[string]bool{}

func init() {
	for _, m := range []string{"RunCheck", "AcknowledgeIncident", "AddIncidentNote", "ResolveIncident",
		"CreateMaintenanceWindow", "DeleteMaintenanceWindow"} {
		adminMethods["/"+vigilv1.VigilService_ServiceDesc.ServiceName+"/"+m] = true
	}
}

// Tokens are the bearer tokens the coordinator asks for.
type Tokens struct {
	// Probe guards every ProbeService call; empty leaves them open.
	Probe string
	// Admin guards VigilService's write calls; empty refuses them all, so a
	// coordinator started without one is read-only.
	Admin string
}

// TokenInterceptors require "authorization: Bearer <token>" metadata: the
// probe token on ProbeService calls, the admin token on VigilService's write
// calls. Reads stay open.
func TokenInterceptors(t Tokens) (grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	unary := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if err := authorize(ctx, t, info.FullMethod); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
	stream := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if err := authorize(ss.Context(), t, info.FullMethod); err != nil {
			return err
		}
		return h(srv, ss)
	}
	return unary, stream
}

func authorize(ctx context.Context, t Tokens, method string) error {
	switch {
	case strings.HasPrefix(method, probeMethodPrefix):
		if t.Probe == "" {
			return nil
		}
		return bearer(ctx, t.Probe, "probe token")
	case adminMethods[method]:
		if t.Admin == "" {
			return status.Error(codes.PermissionDenied, "write calls are disabled: the coordinator was started without an admin token (VIGIL_ADMIN_TOKEN or --admin-token-file)")
		}
		return bearer(ctx, t.Admin, "admin token")
	}
	return nil
}

// bearer checks the request's "authorization: Bearer <token>" metadata
// against token in constant time.
func bearer(ctx context.Context, token, what string) error {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) != 1 {
		return status.Errorf(codes.Unauthenticated, "%s required: send \"authorization: Bearer <token>\" metadata", what)
	}
	const scheme = "bearer "
	v := vals[0]
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) ||
		subtle.ConstantTimeCompare([]byte(v[len(scheme):]), []byte(token)) != 1 {
		return status.Errorf(codes.Unauthenticated, "invalid %s", what)
	}
	return nil
}
