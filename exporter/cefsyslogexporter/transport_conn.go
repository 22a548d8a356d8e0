package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
)

// errPoolClosed is returned to pushes that arrive after Shutdown started.
var errPoolClosed = errors.New("exporter is shutting down")

// dialer opens one connection of a connection transport (udp, tcp, tls: one file each).
type dialer interface {
	dial(ctx context.Context) (net.Conn, error)
}

// connPool is the transport of udp, tcp and tls: a fixed number of long-lived connections, one
// per concurrent push. With the sending queue, exporterhelper runs at most num_consumers pushes
// at a time, so each queue consumer effectively owns one connection; no two pushes ever share a
// connection, so frames of different batches cannot interleave on a stream.
type connPool struct {
	dialer       dialer
	endpoint     string
	stream       bool // tcp or tls: probe for a peer close before reusing a connection
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

func newConnPool(cfg *Config, endpoint string, d dialer, size int, logger *zap.Logger, tel *metadata.Telemetry) *connPool {
	p := &connPool{
		dialer:       d,
		endpoint:     endpoint,
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

// acquire waits for a free slot, makes it hold a usable connection and hands it to one push.
func (p *connPool) acquire(ctx context.Context) (sink, func(), error) {
	s, err := p.acquireSlot(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := s.ensure(ctx); err != nil {
		p.release(s)
		return nil, nil, err
	}
	return s, func() { p.release(s) }, nil
}

// acquireSlot waits for a free slot or the end of ctx.
func (p *connPool) acquireSlot(ctx context.Context) (*connSlot, error) {
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
		p.tel.ConnectFailures.Add(ctx, 1, p.tel.EndpointAttrs(p.endpoint))
		p.logger.Warn("cannot connect to the syslog receiver", zap.String("endpoint", p.endpoint), zap.Error(err))
		return err
	}
	p.interval = 0
	p.nextDial = time.Time{}
	p.lastErr = nil
	p.dialMu.Unlock()

	if s.lost {
		p.tel.Reconnects.Add(ctx, 1, p.tel.EndpointAttrs(p.endpoint))
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
	return p.dialer.dial(ctx)
}

func (s *connSlot) name() string { return s.pool.endpoint }

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
