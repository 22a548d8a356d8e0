package testports

import (
	"net"
	"strconv"
	"testing"
)

// A port handed out once is never handed out again in the process, even after it is free again
// (closed at once here, as a stopped peer's is).
func TestPortsAreHandedOutOnce(t *testing.T) {
	seen := map[int]bool{}
	for range 200 {
		for _, p := range TCP(t, 2) {
			if seen[p] {
				t.Fatalf("tcp port %d handed out twice", p)
			}
			seen[p] = true
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				t.Fatalf("port %d was handed out but is not free: %v", p, err)
			}
			_ = l.Close()
		}
	}
	udp := UDP(t, 3)
	if udp[0] == udp[1] || udp[1] == udp[2] || udp[0] == udp[2] {
		t.Fatalf("udp ports not distinct: %v", udp)
	}
}
