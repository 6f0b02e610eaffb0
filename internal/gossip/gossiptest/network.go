// Package gossiptest provides memberlist transports for tests of gossip
// and its users: real UDP+TCP on loopback, with a switch that partitions
// groups of members from each other and a byte counter.
package gossiptest

import (
	"errors"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// ErrPartitioned is returned when dialing across a partition.
var ErrPartitioned = errors.New("gossiptest: partitioned")

// Network connects the transports it creates. The zero value is not
// usable; use NewNetwork. It is safe for concurrent use.
type Network struct {
	mu    sync.RWMutex
	group map[string]int // address -> partition group, while partitioned
	cut   bool

	bytes atomic.Int64
}

// NewNetwork returns a network with no partition.
func NewNetwork() *Network { return &Network{} }

// NewTransport starts a memberlist NetTransport on bindAddr (e.g.
// "127.0.0.1") at a free port. Pass it as gossip.Config.Transport with
// BindPort 0. logger may be nil.
func (n *Network) NewTransport(bindAddr string, logger *log.Logger) (*Transport, error) {
	if logger == nil {
		logger = log.New(io.Discard, "", 0)
	}
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{bindAddr},
		BindPort:  0,
		Logger:    logger,
	})
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(bindAddr, strconv.Itoa(nt.GetAutoBindPort()))
	return &Transport{NetTransport: nt, net: n, addr: addr}, nil
}

// Partition cuts all traffic between addresses in different groups (UDP
// packets are dropped, TCP dials fail) until Heal. Addresses in no group
// are unaffected.
func (n *Network) Partition(groups ...[]string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.group = map[string]int{}
	for i, g := range groups {
		for _, a := range g {
			n.group[a] = i
		}
	}
	n.cut = true
}

// Heal ends the partition.
func (n *Network) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut = false
}

// Bytes returns the bytes sent so far by all transports: UDP payloads plus
// both directions of the TCP streams they dialed (so each stream is
// counted once, by the side that opened it).
func (n *Network) Bytes() int64 { return n.bytes.Load() }

func (n *Network) blocked(from, to string) bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if !n.cut {
		return false
	}
	gf, ok1 := n.group[from]
	gt, ok2 := n.group[to]
	return ok1 && ok2 && gf != gt
}

// Transport is a memberlist.NodeAwareTransport on a Network.
type Transport struct {
	*memberlist.NetTransport
	net  *Network
	addr string
}

var _ memberlist.NodeAwareTransport = (*Transport)(nil)

// Addr returns the bound host:port.
func (t *Transport) Addr() string { return t.addr }

// WriteTo implements memberlist.Transport.
func (t *Transport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

// WriteToAddress implements memberlist.NodeAwareTransport; across a
// partition the packet is silently lost, as on a real network.
func (t *Transport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if t.net.blocked(t.addr, a.Addr) {
		return time.Now(), nil
	}
	t.net.bytes.Add(int64(len(b)))
	return t.NetTransport.WriteToAddress(b, a)
}

// DialTimeout implements memberlist.Transport.
func (t *Transport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

// DialAddressTimeout implements memberlist.NodeAwareTransport.
func (t *Transport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	if t.net.blocked(t.addr, a.Addr) {
		return nil, ErrPartitioned
	}
	c, err := t.NetTransport.DialAddressTimeout(a, timeout)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &t.net.bytes}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	k, err := c.Conn.Read(p)
	c.n.Add(int64(k))
	return k, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	k, err := c.Conn.Write(p)
	c.n.Add(int64(k))
	return k, err
}
