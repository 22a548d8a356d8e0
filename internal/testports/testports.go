// Package testports hands out free loopback ports to the test helpers (testpeers, testcollector),
// each port at most once per test process. A port the kernel reports free may be one a stopped peer
// will bind again on its restart (the collector under test is configured with it): handing it to a
// collector started meanwhile made that restart fail with "port taken by another process".
package testports // import "github.com/unified-ot/otelcol-siem/internal/testports"

import (
	"net"
	"strconv"
	"sync"
	"testing"
)

var (
	mu     sync.Mutex
	handed = map[string]bool{} // "tcp/40275", "udp/514"
)

// TCP returns n distinct loopback TCP ports, free now and never handed out before in this process.
func TCP(t testing.TB, n int) []int {
	t.Helper()
	return take(t, "tcp", n, func() (net.Addr, func() error, error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		return l.Addr(), l.Close, nil
	})
}

// UDP returns n distinct loopback UDP ports, free now and never handed out before in this process.
func UDP(t testing.TB, n int) []int {
	t.Helper()
	return take(t, "udp", n, func() (net.Addr, func() error, error) {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		return c.LocalAddr(), c.Close, nil
	})
}

// take binds ports until it has n not handed out before; every socket stays open until all are
// chosen, so that the kernel gives n different ones.
func take(t testing.TB, proto string, n int, bind func() (net.Addr, func() error, error)) []int {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c()
		}
	}()
	var ports []int
	for len(ports) < n {
		a, closer, err := bind()
		if err != nil {
			t.Fatalf("testports: free %s port: %v", proto, err)
		}
		closers = append(closers, closer)
		var port int
		switch a := a.(type) {
		case *net.TCPAddr:
			port = a.Port
		case *net.UDPAddr:
			port = a.Port
		}
		key := proto + "/" + strconv.Itoa(port)
		if handed[key] {
			continue
		}
		handed[key] = true
		ports = append(ports, port)
	}
	return ports
}
