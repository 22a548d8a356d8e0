package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"context"
	"fmt"
	"net"
)

// tcpDialer is the tcp transport: plain TCP, framed as configured (octet counting or LF).
type tcpDialer struct{ endpoint string }

func (d tcpDialer) dial(ctx context.Context) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", d.endpoint)
	if err != nil {
		return nil, fmt.Errorf("tcp connection to %s: %w", d.endpoint, err)
	}
	return c, nil
}
