//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import "net"

// peerClosed has no non-blocking peek on this platform; a closed connection is found by the
// failing write instead (see README, "Delivery guarantee").
func peerClosed(net.Conn) bool { return false }
