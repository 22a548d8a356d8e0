package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// tlsDialer is the tls transport (RFC 5425): TCP, a TLS handshake verified against the
// endpoint's host, octet counting. Connections are closed with close_notify (tls.Conn.Close).
type tlsDialer struct {
	endpoint    string
	config      *tls.Config
	dialTimeout time.Duration
}

// newTLSConfig loads the TLS material and says, for the start-up log, whether a client
// certificate is used (never which key or what it holds).
func newTLSConfig(ctx context.Context, cfg *Config, logger *zap.Logger) (*tls.Config, []zap.Field, error) {
	c, err := cfg.TLS.LoadTLSConfig(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("tls: %w", err)
	}
	if c == nil {
		return nil, nil, errors.New("tls: no TLS configuration was produced (tls.insecure is set)")
	}
	if c.InsecureSkipVerify {
		logger.Warn("tls.insecure_skip_verify is set: the syslog receiver's certificate is NOT verified; anyone on the path can read and forge security events")
	}
	fields := []zap.Field{zap.Bool("client_certificate", len(c.Certificates) > 0 || c.GetClientCertificate != nil)}
	return c, fields, nil
}

func (t *tlsDialer) dial(ctx context.Context) (net.Conn, error) {
	// Record whether the receiver asks for a client certificate (see awaitClientAuthVerdict).
	cfg := t.config.Clone()
	var certRequested atomic.Bool
	inner := cfg.GetClientCertificate
	cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		certRequested.Store(true)
		if inner != nil {
			return inner(cri)
		}
		return &tls.Certificate{}, nil // none configured: send an empty certificate list
	}
	// The server certificate is verified against the endpoint's host unless the config names
	// another (server_name_override), as tls.Dialer would do.
	if cfg.ServerName == "" {
		if host, _, err := net.SplitHostPort(t.endpoint); err == nil {
			cfg.ServerName = host
		}
	}
	// TCP connect and TLS handshake are separate steps so that the error says which failed: a
	// receiver that accepts TCP but does not speak TLS otherwise shows up as a bare "context
	// deadline exceeded" or "EOF".
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", t.endpoint)
	if err != nil {
		return nil, fmt.Errorf("tls connection to %s: %w", t.endpoint, err)
	}
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, handshakeError(t.endpoint, t.dialTimeout, err)
	}
	if certRequested.Load() && tc.ConnectionState().Version == tls.VersionTLS13 {
		if err := awaitClientAuthVerdict(ctx, tc); err != nil {
			_ = tc.Close()
			return nil, fmt.Errorf("tls connection to %s: the receiver rejected the client certificate: %w", t.endpoint, err)
		}
	}
	return tc, nil
}

// handshakeError says what a failed TLS handshake most likely means; certificate and version
// errors from crypto/tls are already explicit and are kept as they are.
func handshakeError(endpoint string, timeout time.Duration, err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Errorf("tls handshake with %s: no TLS answer within dial_timeout (%s): is the receiver speaking TLS on this port? %w", endpoint, timeout, err)
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("tls handshake with %s: the receiver closed the connection during the handshake (not a TLS receiver, or it refused this client): %w", endpoint, err)
	default:
		return fmt.Errorf("tls handshake with %s: %w", endpoint, err)
	}
}

// clientAuthVerdictWait is how long a new TLS 1.3 connection waits for the receiver's verdict on
// the client certificate. Longer than a LAN or regional round trip, short enough to be paid once
// per connection.
const clientAuthVerdictWait = 250 * time.Millisecond

// awaitClientAuthVerdict waits briefly for a rejection of the client certificate. In TLS 1.3 the
// client's handshake completes before the server has checked the client certificate; a server
// that rejects it sends an alert afterwards. Without this wait the first batch would be written
// into a connection the server is about to drop, and lost without an error.
func awaitClientAuthVerdict(ctx context.Context, c *tls.Conn) error {
	deadline := time.Now().Add(clientAuthVerdictWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.SetReadDeadline(deadline); err != nil {
		return err
	}
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	var buf [256]byte
	_, err := c.Read(buf[:])
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		return nil // no alert within the wait: accepted
	}
	return err
}
