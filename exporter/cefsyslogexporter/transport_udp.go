package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"context"
	"fmt"
	"net"
)

// udpDialer is the udp transport (RFC 5426): one datagram per message on a connected socket, so
// that an ICMP "port unreachable" fails the next write.
type udpDialer struct{ endpoint string }

func (d udpDialer) dial(ctx context.Context) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, "udp", d.endpoint)
	if err != nil {
		return nil, fmt.Errorf("udp connection to %s: %w", d.endpoint, err)
	}
	return c, nil
}
