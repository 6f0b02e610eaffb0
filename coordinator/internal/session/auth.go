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

// TokenInterceptors require "authorization: Bearer <token>" metadata on
// every ProbeService call and leave other services open. An empty token
// disables the check.
func TokenInterceptors(token string) (grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	unary := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if err := authorize(ctx, token, info.FullMethod); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
	stream := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if err := authorize(ss.Context(), token, info.FullMethod); err != nil {
			return err
		}
		return h(srv, ss)
	}
	return unary, stream
}

func authorize(ctx context.Context, token, method string) error {
	if token == "" || !strings.HasPrefix(method, probeMethodPrefix) {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) != 1 {
		return status.Error(codes.Unauthenticated, "probe token required: send \"authorization: Bearer <token>\" metadata")
	}
	const scheme = "bearer "
	v := vals[0]
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) ||
		subtle.ConstantTimeCompare([]byte(v[len(scheme):]), []byte(token)) != 1 {
		return status.Error(codes.Unauthenticated, "invalid probe token")
	}
	return nil
}
