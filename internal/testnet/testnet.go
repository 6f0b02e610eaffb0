// Package testnet has network helpers for tests.
package testnet

import (
	"math/rand/v2"
	"net"
	"strconv"
	"testing"
)

// Ports are drawn below Linux's default ephemeral range (32768-60999): a
// port the kernel may hand to any outgoing connection can be taken between
// the moment it is found free and the moment the test listens on it, which
// made tests that restart a server on the same address fail with "address
// already in use".
const firstPort, lastPort = 20000, 32767

// FreeAddr returns a loopback host:port that was free for TCP and UDP a
// moment ago: for a server a test starts later (and may restart on the same
// address), a gossip member (TCP and UDP), or a peer that is down because
// nothing listens there.
func FreeAddr(t testing.TB) string {
	t.Helper()
	for range 200 {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(firstPort+rand.IntN(lastPort-firstPort+1)))
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		pc, err := net.ListenPacket("udp", addr)
		lis.Close()
		if err != nil {
			continue
		}
		pc.Close()
		return addr
	}
	t.Fatalf("no free loopback port in %d-%d after 200 tries", firstPort, lastPort)
	return ""
}
