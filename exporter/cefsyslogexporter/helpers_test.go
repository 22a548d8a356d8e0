package cefsyslogexporter

import (
	"github.com/unified-ot/otelcol-siem/internal/delivery"

	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap/zaptest"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// ---- test data ----

// idPattern finds a record's event.id in a formatted message: CEF puts it in externalId, JSON in
// "event.id"; either way the value appears verbatim (it has no character needing escaping).
var idPattern = regexp.MustCompile(`evt-(\d{6})`)

func eventID(i int) string { return fmt.Sprintf("evt-%06d", i) }

// makeLogs builds n security events with ids first..first+n-1, spread over two resources and
// two scopes so that partial-failure slicing crosses their boundaries.
func makeLogs(first, n int, bodyLen int) plog.Logs {
	ld := plog.NewLogs()
	ts := time.Date(2026, 11, 26, 10, 15, 2, 123e6, time.UTC)
	var sls [4]plog.ScopeLogs
	for r := range 2 {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(secevent.KeyServiceName, "unified-ot-connector")
		rl.Resource().Attributes().PutStr(secevent.KeyHostName, fmt.Sprintf("edge-%02d", r))
		for s := range 2 {
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(fmt.Sprintf("scope-%d", s))
			sls[2*r+s] = sl
		}
	}
	// The id leads the body so that a record cut to a size limit can still be identified.
	body := " Failed login attempt for alice@example.com"
	if bodyLen > len(body) {
		body += " " + strings.Repeat("x", bodyLen-len(body)-1)
	}
	per := (n + 3) / 4
	for i := range n {
		lr := sls[min(i/max(per, 1), 3)].LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ts.Add(time.Duration(i) * time.Millisecond)))
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
		lr.SetEventName("security.authentication.login")
		lr.Body().SetStr(eventID(first+i) + body)
		a := lr.Attributes()
		a.PutStr(secevent.KeyCategory, "authentication")
		a.PutStr(secevent.KeyAction, "login")
		a.PutStr(secevent.KeyOutcome, "failure")
		a.PutStr(secevent.KeyUserName, "alice@example.com")
		a.PutStr(secevent.KeySourceAddress, "192.168.1.100")
		a.PutStr(secevent.KeyEventID, eventID(first+i))
	}
	return ld
}

// messagesOf returns a frame batch's messages, in order.
func messagesOf(b *delivery.Batch) [][]byte { return b.Records() }

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

// idOfMessage extracts the event id of one received message (it is in the body and in the
// event id field); -1 if there is none or the message holds two different ids (two records run
// together).
func idOfMessage(msg []byte) int {
	m := idPattern.FindAllSubmatch(msg, -1)
	if len(m) == 0 {
		return -1
	}
	for _, x := range m[1:] {
		if string(x[1]) != string(m[0][1]) {
			return -1
		}
	}
	return mustAtoi(string(m[0][1]))
}

func seq(first, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = first + i
	}
	return s
}

// ---- exporter construction ----

type testEnv struct {
	tel *componenttest.Telemetry
	set exporter.Settings
}

func newTestEnv(t testing.TB) *testEnv {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tt.Shutdown(context.Background()) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tt.NewTelemetrySettings()
	set.Logger = zaptest.NewLogger(t)
	return &testEnv{tel: tt, set: set}
}

// counter returns the sum of an Int64 counter's points whose attributes include the given
// key=value pairs (none = all points); 0 when the metric was never recorded.
func (env *testEnv) counter(t testing.TB, name string, kv ...string) int64 {
	m, err := env.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is not an int64 sum", name)
	var total int64
	for _, dp := range sum.DataPoints {
		match := true
		for i := 0; i+1 < len(kv); i += 2 {
			v, found := dp.Attributes.Value(attribute.Key(kv[i]))
			if !found || v.AsString() != kv[i+1] {
				match = false
			}
		}
		if match {
			total += dp.Value
		}
	}
	return total
}

// newStartedExporter builds the exporter struct directly (no exporterhelper), starts it and
// registers its shutdown; tests use it to look at pushLogs' returned error exactly.
func newStartedExporter(t testing.TB, env *testEnv, cfg *Config) *cefSyslogExporter {
	require.NoError(t, cfg.Validate())
	e, err := newExporter(cfg, env.set)
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = e.shutdown(context.Background()) })
	return e
}

func testConfig(transport, endpoint string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Transport = transport
	cfg.Endpoint = endpoint
	cfg.DialTimeout = 2 * time.Second
	cfg.WriteTimeout = 5 * time.Second
	cfg.Reconnect.InitialInterval = 10 * time.Millisecond
	cfg.Reconnect.MaxInterval = 50 * time.Millisecond
	return cfg
}

// ---- in-test syslog receivers ----

type framing int

const (
	octetCounting framing = iota
	lineFeed
)

// syslogServer is a stream receiver that parses frames strictly and records every message.
type syslogServer struct {
	t       testing.TB
	ln      net.Listener
	framing framing
	// closeAfter > 0 makes the server read that many frames on its FIRST connection and then
	// reset it (SO_LINGER 0), as a receiver crashing mid-stream would.
	closeAfter int
	graceful   bool

	mu       sync.Mutex
	msgs     [][]byte
	conns    int
	open     []net.Conn
	finished int // connections the server has closed
	errs     []error
	arrivals chan struct{}
	wg       sync.WaitGroup
}

func newSyslogServer(t testing.TB, fr framing, tlsCfg *tls.Config) *syslogServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return serveOn(t, ln, fr, tlsCfg, 0, false)
}

// serveOn serves on ln. With closeAfter > 0 the first connection is closed after that many
// frames: reset (RST) unless graceful (FIN).
func serveOn(t testing.TB, ln net.Listener, fr framing, tlsCfg *tls.Config, closeAfter int, graceful bool) *syslogServer {
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	s := &syslogServer{t: t, ln: ln, framing: fr, closeAfter: closeAfter, graceful: graceful, arrivals: make(chan struct{}, 1)}
	s.wg.Add(1)
	go s.acceptLoop()
	t.Cleanup(s.close)
	return s
}

func (s *syslogServer) addr() string { return s.ln.Addr().String() }

func (s *syslogServer) close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for _, c := range s.open {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *syslogServer) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns++
		s.open = append(s.open, c)
		first := s.conns == 1
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				_ = c.Close()
				s.mu.Lock()
				s.finished++
				s.mu.Unlock()
			}()
			limit := 0
			if first {
				limit = s.closeAfter
			}
			s.readFrames(c, limit)
		}()
	}
}

func (s *syslogServer) readFrames(c net.Conn, limit int) {
	// Bound the test: a receiver never waits more than 20 s for a frame.
	r := bufio.NewReaderSize(c, 64<<10)
	for n := 0; limit == 0 || n < limit; n++ {
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		var msg []byte
		var err error
		if s.framing == octetCounting {
			msg, err = readOctetCountedFrame(r)
		} else {
			msg, err = r.ReadBytes('\n')
			if err == nil {
				msg = msg[:len(msg)-1]
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.mu.Lock()
				s.errs = append(s.errs, err)
				s.mu.Unlock()
			}
			return
		}
		s.mu.Lock()
		s.msgs = append(s.msgs, msg)
		s.mu.Unlock()
		select {
		case s.arrivals <- struct{}{}:
		default:
		}
	}
	if s.graceful {
		return // the deferred Close sends FIN
	}
	// Reset: the sender's next writes fail.
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	} else if tlc, ok := c.(*tls.Conn); ok {
		if tc, ok := tlc.NetConn().(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = tlc.NetConn().Close()
	}
}

// readOctetCountedFrame parses RFC 6587 3.4.1 / RFC 5425 octet counting as strictly as
// syslog-ng does: MSG-LEN is a non-zero digit followed by digits, one SP, then exactly MSG-LEN
// octets; nothing else between frames (no LF trailer).
func readOctetCountedFrame(r *bufio.Reader) ([]byte, error) {
	var n int
	for i := 0; ; i++ {
		b, err := r.ReadByte()
		if err != nil {
			if i == 0 {
				return nil, err
			}
			return nil, fmt.Errorf("frame header cut: %w", err)
		}
		switch {
		case b == ' ' && i > 0:
			if n == 0 {
				return nil, errors.New("MSG-LEN is zero")
			}
			msg := make([]byte, n)
			if _, err := io.ReadFull(r, msg); err != nil {
				return nil, fmt.Errorf("frame body cut: %w", err)
			}
			return msg, nil
		case b >= '1' && b <= '9', b == '0' && i > 0:
			if i >= 9 {
				return nil, errors.New("MSG-LEN too long")
			}
			n = n*10 + int(b-'0')
		default:
			return nil, fmt.Errorf("unexpected byte %q at position %d of a frame header", b, i)
		}
	}
}

func (s *syslogServer) messages() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.msgs...)
}

func (s *syslogServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// waitClosed waits until the server has closed n connections.
func (s *syslogServer) waitClosed(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		done := s.finished >= n
		s.mu.Unlock()
		if done {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

func (s *syslogServer) errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

// waitFor waits until at least n messages arrived or the timeout passed.
func (s *syslogServer) waitFor(n int, timeout time.Duration) [][]byte {
	deadline := time.After(timeout)
	for {
		if msgs := s.messages(); len(msgs) >= n {
			return msgs
		}
		select {
		case <-s.arrivals:
		case <-deadline:
			return s.messages()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// receivedIDs returns the ids of the messages, failing the test on a message without exactly one id.
func receivedIDs(t testing.TB, msgs [][]byte) []int {
	t.Helper()
	ids := make([]int, 0, len(msgs))
	for _, m := range msgs {
		id := idOfMessage(m)
		require.GreaterOrEqual(t, id, 0, "message without exactly one record's id: %q", m)
		ids = append(ids, id)
	}
	return ids
}

// ---- test PKI ----

type testPKI struct {
	dir                           string
	caFile, serverCert, serverKey string
	clientCert, clientKey         string
	otherCAFile                   string
	caPool                        *x509.CertPool
	serverTLS                     tls.Certificate
}

type issuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t testing.TB, name string) issuer {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return issuer{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (ca issuer) issue(t testing.TB, cn string, usage x509.ExtKeyUsage, ips []net.IP, dns []string) (certPEM, keyPEM []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  ips,
		DNSNames:     dns,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// newTestPKI writes a CA, a server certificate for 127.0.0.1/localhost, a client certificate
// and an unrelated second CA into a temporary directory.
func newTestPKI(t testing.TB) *testPKI {
	dir := t.TempDir()
	ca := newCA(t, "test syslog CA")
	other := newCA(t, "some other CA")
	srvCert, srvKey := ca.issue(t, "syslog.test", x509.ExtKeyUsageServerAuth,
		[]net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, []string{"localhost"})
	cliCert, cliKey := ca.issue(t, "otelcol-siem", x509.ExtKeyUsageClientAuth, nil, nil)
	p := &testPKI{
		dir:         dir,
		caFile:      filepath.Join(dir, "ca.pem"),
		otherCAFile: filepath.Join(dir, "other-ca.pem"),
		serverCert:  filepath.Join(dir, "server.pem"),
		serverKey:   filepath.Join(dir, "server-key.pem"),
		clientCert:  filepath.Join(dir, "client.pem"),
		clientKey:   filepath.Join(dir, "client-key.pem"),
	}
	for path, data := range map[string][]byte{
		p.caFile: ca.pem, p.otherCAFile: other.pem,
		p.serverCert: srvCert, p.serverKey: srvKey,
		p.clientCert: cliCert, p.clientKey: cliKey,
	} {
		require.NoError(t, os.WriteFile(path, data, 0o600))
	}
	var err error
	p.serverTLS, err = tls.X509KeyPair(srvCert, srvKey)
	require.NoError(t, err)
	p.caPool = x509.NewCertPool()
	p.caPool.AddCert(ca.cert)
	return p
}

// serverConfig is the receiver side; requireClientCert turns on mTLS.
func (p *testPKI) serverConfig(requireClientCert bool) *tls.Config {
	c := &tls.Config{Certificates: []tls.Certificate{p.serverTLS}, MinVersion: tls.VersionTLS12}
	if requireClientCert {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = p.caPool
	}
	return c
}

// pushLogs formats and writes ld: the converter and the push in one call, what exporterhelper does
// for a batch, without the queue between them.
func (e *cefSyslogExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	return e.sendBatch(ctx, e.converter.Convert(ctx, ld))
}
