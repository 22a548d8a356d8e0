package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
)

// sink is where framed bytes go. write is given whole frames only and returns how many bytes the
// transport accepted, so that a failed write tells which records were handed over completely.
type sink interface {
	write(ctx context.Context, p []byte) (int, error)
}

// errPoolClosed is returned to pushes that arrive after Shutdown started.
var errPoolClosed = errors.New("exporter is shutting down")

// connPool holds a fixed number of long-lived connections, one per concurrent push. With the
// sending queue, exporterhelper runs at most num_consumers pushes at a time, so each queue
// consumer effectively owns one connection; no two pushes ever share a connection, so frames
// of different batches cannot interleave on a stream.
type connPool struct {
	network      string // "tcp" or "udp"
	endpoint     string
	tlsConfig    *tls.Config // nil unless transport tls
	stream       bool        // tcp or tls: probe for a peer close before reusing a connection
	dialTimeout  time.Duration
	writeTimeout time.Duration
	reconnectMin time.Duration
	reconnectMax time.Duration
	logger       *zap.Logger
	tel          *metadata.Telemetry

	// free holds one token per slot not in use; idle is a stack of those slots. Last in, first
	// out: a light load keeps reusing the same warm connection instead of rotating through (and
	// holding open) one connection per consumer.
	free chan struct{}
	mu   sync.Mutex
	idle []*connSlot
	size int
	// closed is set by close; later acquires fail instead of dialing again.
	closed bool

	// Reconnect backoff, shared by all slots: they all point at the same receiver, so one slot's
	// failure says the others would fail too.
	dialMu   sync.Mutex
	nextDial time.Time
	interval time.Duration
	lastErr  error
}

// connSlot is one connection of the pool. Only the push that acquired it touches it.
type connSlot struct {
	pool *connPool
	conn net.Conn
	// lost is set when a connection of this slot failed; the next successful dial counts as a
	// reconnect.
	lost bool
	// reused is set once the connection has carried a push; only then is the peer-close probe
	// worth a syscall.
	reused bool
}

func newConnPool(cfg *Config, tlsConfig *tls.Config, size int, logger *zap.Logger, tel *metadata.Telemetry) *connPool {
	network := "tcp"
	if cfg.Transport == TransportUDP {
		network = "udp"
	}
	p := &connPool{
		network:      network,
		endpoint:     cfg.Endpoint,
		tlsConfig:    tlsConfig,
		stream:       cfg.Transport != TransportUDP,
		dialTimeout:  cfg.DialTimeout,
		writeTimeout: cfg.WriteTimeout,
		reconnectMin: cfg.Reconnect.InitialInterval,
		reconnectMax: cfg.Reconnect.MaxInterval,
		logger:       logger,
		tel:          tel,
		free:         make(chan struct{}, size),
		size:         size,
	}
	for range size {
		p.free <- struct{}{}
		p.idle = append(p.idle, &connSlot{pool: p})
	}
	return p
}

// acquire waits for a free slot or the end of ctx.
func (p *connPool) acquire(ctx context.Context) (*connSlot, error) {
	select {
	case <-p.free:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a free connection: %w", ctx.Err())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.free <- struct{}{}
		return nil, errPoolClosed
	}
	s := p.idle[len(p.idle)-1]
	p.idle = p.idle[:len(p.idle)-1]
	return s, nil
}

func (p *connPool) release(s *connSlot) {
	p.mu.Lock()
	if p.closed && s.conn != nil {
		// Shutdown gave up waiting for this push; do not leave its connection open.
		_ = s.conn.Close()
		s.conn = nil
	}
	p.idle = append(p.idle, s)
	p.mu.Unlock()
	p.free <- struct{}{}
}

// close closes every connection, waiting for in-flight pushes to give their slot back until ctx
// ends. TLS connections send close_notify (RFC 5425 section 4.4) from tls.Conn.Close.
func (p *connPool) close(ctx context.Context) error {
	var errs []error
	for range p.size {
		select {
		case <-p.free:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("closing connections: %w", ctx.Err()))
		}
		if ctx.Err() != nil {
			break
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, s := range p.idle {
		if s.conn != nil {
			if err := s.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
			s.conn = nil
		}
	}
	return errors.Join(errs...)
}

// ensure makes s hold a usable connection: it drops a connection the peer has closed and dials
// when there is none, respecting the reconnect backoff.
func (s *connSlot) ensure(ctx context.Context) error {
	p := s.pool
	if s.conn != nil && p.stream && s.reused && peerClosed(s.conn) {
		p.logger.Debug("syslog receiver closed the idle connection; reconnecting", zap.String("endpoint", p.endpoint))
		s.drop()
	}
	if s.conn != nil {
		return nil
	}

	p.dialMu.Lock()
	if wait := time.Until(p.nextDial); wait > 0 {
		lastErr := p.lastErr
		p.dialMu.Unlock()
		// Fail fast rather than sleep: exporterhelper's retry (or the queue) owns waiting, and a
		// push blocked here would delay Shutdown.
		return fmt.Errorf("not connecting to %s for another %s after the last failure: %w",
			p.endpoint, wait.Round(time.Millisecond), lastErr)
	}
	p.dialMu.Unlock()

	conn, err := p.dial(ctx)

	p.dialMu.Lock()
	if err != nil {
		if p.interval == 0 {
			p.interval = p.reconnectMin
		} else {
			p.interval = min(2*p.interval, p.reconnectMax)
		}
		p.nextDial = time.Now().Add(p.interval)
		p.lastErr = err
		p.dialMu.Unlock()
		p.tel.ConnectFailures.Add(ctx, 1, p.tel.ID)
		p.logger.Warn("cannot connect to the syslog receiver", zap.String("endpoint", p.endpoint), zap.Error(err))
		return err
	}
	p.interval = 0
	p.nextDial = time.Time{}
	p.lastErr = nil
	p.dialMu.Unlock()

	if s.lost {
		p.tel.Reconnects.Add(ctx, 1, p.tel.ID)
		p.logger.Info("reconnected to the syslog receiver", zap.String("endpoint", p.endpoint))
		s.lost = false
	}
	s.conn = conn
	s.reused = false
	return nil
}

func (p *connPool) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, p.dialTimeout)
	defer cancel()
	d := &net.Dialer{}
	if p.tlsConfig != nil {
		// Record whether the receiver asks for a client certificate (see awaitClientAuthVerdict).
		cfg := p.tlsConfig.Clone()
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
			if host, _, err := net.SplitHostPort(p.endpoint); err == nil {
				cfg.ServerName = host
			}
		}
		// TCP connect and TLS handshake are separate steps so that the error says which failed: a
		// receiver that accepts TCP but does not speak TLS otherwise shows up as a bare "context
		// deadline exceeded" or "EOF".
		raw, err := d.DialContext(ctx, "tcp", p.endpoint)
		if err != nil {
			return nil, fmt.Errorf("tls connection to %s: %w", p.endpoint, err)
		}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, handshakeError(p.endpoint, p.dialTimeout, err)
		}
		if certRequested.Load() && tc.ConnectionState().Version == tls.VersionTLS13 {
			if err := awaitClientAuthVerdict(ctx, tc); err != nil {
				_ = tc.Close()
				return nil, fmt.Errorf("tls connection to %s: the receiver rejected the client certificate: %w", p.endpoint, err)
			}
		}
		return tc, nil
	}
	c, err := d.DialContext(ctx, p.network, p.endpoint)
	if err != nil {
		return nil, fmt.Errorf("%s connection to %s: %w", p.network, p.endpoint, err)
	}
	return c, nil
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

// drop closes the slot's connection after an error; the next push dials a new one.
func (s *connSlot) drop() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
	s.lost = true
}

// aLongTimeAgo is a deadline in the past: setting it makes a blocked write return at once.
var aLongTimeAgo = time.Unix(1, 0)

// write sends p with a deadline of write_timeout (or ctx's deadline if sooner). A cancelled ctx
// (Shutdown) interrupts a write blocked on a receiver that stopped reading.
func (s *connSlot) write(ctx context.Context, p []byte) (int, error) {
	c := s.conn
	if c == nil {
		return 0, errors.New("no connection")
	}
	deadline := time.Now().Add(s.pool.writeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.SetWriteDeadline(deadline); err != nil {
		s.drop()
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetWriteDeadline(aLongTimeAgo) })
	n, err := c.Write(p)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		s.drop()
		return n, err
	}
	s.reused = true
	return n, nil
}

// peerClosedRead is the portable part of the peer-close probe, used once the non-blocking peek
// (peerclosed_unix.go) saw bytes waiting: a syslog receiver sends nothing but TLS records
// (session tickets, close_notify) or an EOF. It reads with a short deadline; EOF or a reset
// means the peer is gone, a timeout means it is alive and has nothing more to say.
func peerClosedRead(c net.Conn) bool {
	var buf [512]byte
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	for range 16 {
		if err := c.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
			return true
		}
		_, err := c.Read(buf[:])
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return false
		}
		return true // io.EOF, close_notify, reset, TLS alert
	}
	return false
}

// fileSink appends to a size-rotated file. lumberjack serialises writes with its own mutex, and
// each write holds whole lines, so concurrent pushes never interleave within a line.
type fileSink struct {
	logger *lumberjack.Logger
}

func (f *fileSink) write(_ context.Context, p []byte) (int, error) {
	return f.logger.Write(p)
}

func (f *fileSink) close() error { return f.logger.Close() }
