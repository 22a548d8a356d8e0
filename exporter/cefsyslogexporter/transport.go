package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
)

// transport hands framed syslog messages to the receiver. Each transport is one file behind this
// interface, chosen in newTransport: udp, tcp and tls dial connections (transport_udp.go,
// transport_tcp.go, transport_tls.go) kept by a connPool (transport_conn.go), file appends to a
// rotated file (transport_file.go). A new transport is one more file and one more case below.
type transport interface {
	// acquire returns the sink of one push, ready to write (connected, the file open), and the
	// function that gives it back.
	acquire(ctx context.Context) (sink, func(), error)
	close(ctx context.Context) error
}

// sink is where framed bytes go. write is given whole frames only and returns how many bytes the
// transport accepted, so that a failed write tells which records were handed over completely.
type sink interface {
	write(ctx context.Context, p []byte) (int, error)
}

// newTransport prepares cfg's transport for size concurrent pushes and returns what the start-up
// log says of it. It loads TLS material and opens the file (a missing file fails start-up, naming
// it) but does not connect: a receiver that is down at start-up must not stop the collector.
func newTransport(ctx context.Context, cfg *Config, size int, logger *zap.Logger, tel *metadata.Telemetry) (transport, []zap.Field, error) {
	switch cfg.Transport {
	case TransportFile:
		t, err := newFileTransport(cfg.File)
		return t, []zap.Field{zap.String("file", cfg.File.Path)}, err
	case TransportTLS:
		d, fields, err := newTLSDialer(ctx, cfg, logger)
		if err != nil {
			return nil, nil, err
		}
		return newConnPool(cfg, d, size, logger, tel), append([]zap.Field{zap.String("endpoint", cfg.Endpoint)}, fields...), nil
	case TransportTCP:
		return newConnPool(cfg, tcpDialer{cfg.Endpoint}, size, logger, tel), []zap.Field{zap.String("endpoint", cfg.Endpoint)}, nil
	case TransportUDP:
		return newConnPool(cfg, udpDialer{cfg.Endpoint}, size, logger, tel), []zap.Field{zap.String("endpoint", cfg.Endpoint)}, nil
	}
	return nil, nil, fmt.Errorf("unknown transport %q", cfg.Transport) // Validate rejects it first
}
