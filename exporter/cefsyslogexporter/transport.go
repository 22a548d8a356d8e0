package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/delivery"
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
// name is the endpoint (or file) it writes to, for the metrics.
type sink interface {
	write(ctx context.Context, p []byte) (int, error)
	name() string
}

// newTransport prepares cfg's transport for size concurrent pushes and returns what the start-up
// log says of it. It loads TLS material and opens the file (a missing file fails start-up, naming
// it) but does not connect: a receiver that is down at start-up must not stop the collector.
// Several endpoints get one connection pool each behind a balancer (transport_balance.go).
func newTransport(ctx context.Context, cfg *Config, size int, logger *zap.Logger, tel *metadata.Telemetry) (transport, []zap.Field, error) {
	if cfg.Transport == TransportFile {
		t, err := newFileTransport(cfg.File)
		return t, []zap.Field{zap.String("file", cfg.File.Path)}, err
	}
	var newDialer func(endpoint string) dialer
	var fields []zap.Field
	switch cfg.Transport {
	case TransportTLS:
		tlsCfg, f, err := newTLSConfig(ctx, cfg, logger)
		if err != nil {
			return nil, nil, err
		}
		newDialer = func(ep string) dialer { return &tlsDialer{endpoint: ep, config: tlsCfg, dialTimeout: cfg.DialTimeout} }
		fields = f
	case TransportTCP:
		newDialer = func(ep string) dialer { return tcpDialer{ep} }
	case TransportUDP:
		newDialer = func(ep string) dialer { return udpDialer{ep} }
	default:
		return nil, nil, fmt.Errorf("unknown transport %q", cfg.Transport) // Validate rejects it first
	}
	endpoints := delivery.EndpointList(cfg.Endpoint, cfg.Endpoints)
	pools := make([]*connPool, len(endpoints))
	for i, ep := range endpoints {
		pools[i] = newConnPool(cfg, ep, newDialer(ep), size, logger, tel)
	}
	if len(pools) == 1 {
		return pools[0], append([]zap.Field{zap.String("endpoint", endpoints[0])}, fields...), nil
	}
	fields = append([]zap.Field{zap.Strings("endpoints", endpoints), zap.String("balance", cfg.Balance.Mode),
		zap.Duration("hold_down", cfg.Balance.HoldDown)}, fields...)
	return &balancer{pools: pools, order: delivery.NewBalancer(cfg.Balance, endpoints, "syslog", logger, tel.BalanceTelemetry)}, fields, nil
}
