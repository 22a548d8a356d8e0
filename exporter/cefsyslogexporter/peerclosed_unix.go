//go:build linux || darwin || freebsd || netbsd || openbsd

package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"
)

// peerClosed reports whether the receiver has closed c (FIN or RST), without blocking. A TCP
// sender cannot otherwise tell: writing to a half-closed connection succeeds and the bytes are
// lost. Probing before a batch shrinks that window to what the peer closes during the batch.
// It peeks one byte with MSG_PEEK on the non-blocking socket: EAGAIN means alive and silent,
// 0 bytes means EOF, an error means reset.
func peerClosed(c net.Conn) bool {
	raw := c
	if tc, ok := c.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	sc, ok := raw.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	var (
		n    int
		perr error
		buf  [1]byte
	)
	err = rc.Read(func(fd uintptr) bool {
		n, _, perr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait for readability: this is a probe
	})
	switch {
	case err != nil:
		return true
	case errors.Is(perr, syscall.EAGAIN) || errors.Is(perr, syscall.EWOULDBLOCK) || errors.Is(perr, syscall.EINTR):
		return false
	case perr != nil:
		return true
	case n == 0:
		return true
	default:
		// Bytes are waiting: TLS session tickets or alerts, or data a receiver should not send.
		// Let the (TLS-aware) connection consume them to find out whether an EOF follows.
		return peerClosedRead(c)
	}
}
