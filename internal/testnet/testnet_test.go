package testnet

import (
	"net"
	"strconv"
	"testing"
)

func TestFreeAddrIsFreeAndOutsideTheEphemeralRange(t *testing.T) {
	for range 20 {
		addr := FreeAddr(t)
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		port, _ := strconv.Atoi(p)
		if port < firstPort || port > lastPort {
			t.Fatalf("port %d outside %d-%d", port, firstPort, lastPort)
		}
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listen on %s: %v", addr, err)
		}
		lis.Close()
	}
}
