// Package testnet has network helpers for tests.
package testnet

import (
	"net"
	"testing"
)

// FreeAddr returns a loopback host:port that was free a moment ago: for a
// server a test starts later (and may restart on the same address), or
// for a peer that is down because nothing listens there.
func FreeAddr(t testing.TB) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("reserve a loopback port: %v", err)
	}
	defer lis.Close()
	return lis.Addr().String()
}
