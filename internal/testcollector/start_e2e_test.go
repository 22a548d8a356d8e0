//go:build e2e

package testcollector

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// A collector whose port was taken between FreePort and its bind is started again on other ports:
// the first port handed out here is held by a listener for the whole test.
func TestStartAgainWhenAPortIsTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port

	handedOut := 0
	collectorPort = func(t testing.TB) int {
		handedOut++
		if handedOut == 1 {
			return takenPort
		}
		return FreePort(t)
	}
	t.Cleanup(func() { collectorPort = FreePort })

	c := Start(t, Options{})
	if c.GRPCEndpoint == fmt.Sprintf("127.0.0.1:%d", takenPort) {
		t.Fatalf("the collector reports the taken port %d", takenPort)
	}
	if handedOut != 8 {
		t.Fatalf("%d ports handed out, want 8 (two starts of 4)", handedOut)
	}
	c.Stop(30 * time.Second)
}
