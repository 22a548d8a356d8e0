package cefsyslogexporter

import (
	"github.com/unified-ot/otelcol-siem/internal/delivery"

	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
)

func TestTCPOctetCounting(t *testing.T) {
	srv := newSyslogServer(t, octetCounting, nil)
	env := newTestEnv(t)
	e := newStartedExporter(t, env, testConfig(TransportTCP, srv.addr()))

	require.NoError(t, e.pushLogs(context.Background(), makeLogs(0, 300, 0)))
	// A second batch reuses the connection.
	require.NoError(t, e.pushLogs(context.Background(), makeLogs(300, 300, 0)))

	msgs := srv.waitFor(600, 10*time.Second)
	require.Empty(t, srv.errors(), "strict octet-counting parser rejected the stream")
	assert.Equal(t, seq(0, 600), receivedIDs(t, msgs))
	assert.Equal(t, 1, srv.connections(), "one long-lived connection")
	for _, m := range msgs {
		assert.True(t, bytes.HasPrefix(m, []byte("<")), "syslog PRI first: %q", m)
		assert.Contains(t, string(m), "CEF:0|")
		assert.NotContains(t, string(m), "\n")
	}
	assert.EqualValues(t, 600, env.counter(t, metadata.MetricRecordsSent))
	assert.EqualValues(t, 0, env.counter(t, metadata.MetricRecordsFailed))
	var wire int64
	for _, m := range msgs {
		wire += int64(len(m) + len(itoa(len(m))) + 1)
	}
	assert.Equal(t, wire, env.counter(t, metadata.MetricBytesSent), "bytes_sent = every frame, header included")
}

func TestTCPLineFeed(t *testing.T) {
	srv := newSyslogServer(t, lineFeed, nil)
	env := newTestEnv(t)
	cfg := testConfig(TransportTCP, srv.addr())
	cfg.Framing = FramingLF
	cfg.Format = FormatJSON
	e := newStartedExporter(t, env, cfg)

	require.NoError(t, e.pushLogs(context.Background(), makeLogs(0, 200, 0)))
	msgs := srv.waitFor(200, 10*time.Second)
	require.Empty(t, srv.errors())
	assert.Equal(t, seq(0, 200), receivedIDs(t, msgs))
	for _, m := range msgs {
		i := bytes.IndexByte(m, '{')
		require.GreaterOrEqual(t, i, 0, "JSON object in %q", m)
		assert.True(t, bytes.HasSuffix(m, []byte("}")), "one JSON object per line: %q", m)
	}
}

// TestTCPMaxMessageSize: over a stream the frame's MSG-LEN is the length of the cut message.
func TestTCPMaxMessageSize(t *testing.T) {
	srv := newSyslogServer(t, octetCounting, nil)
	env := newTestEnv(t)
	cfg := testConfig(TransportTCP, srv.addr())
	cfg.Format = FormatJSON
	cfg.MaxMessageSize = 1024
	e := newStartedExporter(t, env, cfg)

	ld := makeLogs(0, 4, 0)
	big := makeLogs(4, 1, 0)
	big.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().PutStr("event.reason", strings.Repeat("r", 100000))
	big.ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	require.NoError(t, e.pushLogs(context.Background(), ld))
	msgs := srv.waitFor(5, 5*time.Second)
	require.Empty(t, srv.errors())
	assert.Equal(t, seq(0, 5), receivedIDs(t, msgs))
	assert.LessOrEqual(t, len(msgs[4]), 1024)
	assert.True(t, bytes.HasSuffix(msgs[4], []byte(secformat.TruncationMarker)))
	for _, m := range msgs[:4] {
		assert.True(t, bytes.HasSuffix(m, []byte("}")))
	}
	assert.EqualValues(t, 1, env.counter(t, metadata.MetricRecordsTruncated))
}

func TestTLS(t *testing.T) {
	pki := newTestPKI(t)
	srv := newSyslogServer(t, octetCounting, pki.serverConfig(false))
	env := newTestEnv(t)
	cfg := testConfig(TransportTLS, srv.addr())
	cfg.TLS.CAFile = pki.caFile
	e := newStartedExporter(t, env, cfg)

	require.NoError(t, e.pushLogs(context.Background(), makeLogs(0, 250, 0)))
	require.NoError(t, e.pushLogs(context.Background(), makeLogs(250, 250, 0)))
	msgs := srv.waitFor(500, 10*time.Second)
	require.Empty(t, srv.errors())
	assert.Equal(t, seq(0, 500), receivedIDs(t, msgs))
	assert.Equal(t, 1, srv.connections(), "the TLS connection is kept across batches")
}

func TestTLSServerNameVerifiedByDefault(t *testing.T) {
	pki := newTestPKI(t)
	srv := newSyslogServer(t, octetCounting, pki.serverConfig(false))
	env := newTestEnv(t)
	_, port, err := net.SplitHostPort(srv.addr())
	require.NoError(t, err)

	// "localhost" is in the certificate: accepted.
	cfg := testConfig(TransportTLS, net.JoinHostPort("localhost", port))
	cfg.TLS.CAFile = pki.caFile
	e := newStartedExporter(t, env, cfg)
	// localhost may resolve to ::1 first, where nothing listens; the dialer falls back to 127.0.0.1.
	require.NoError(t, e.pushLogs(context.Background(), makeLogs(0, 3, 0)))

	// A name the certificate does not hold: refused even though the CA is trusted.
	cfg2 := testConfig(TransportTLS, srv.addr())
	cfg2.TLS.CAFile = pki.caFile
	cfg2.TLS.ServerName = "siem.example.com"
	e2 := newStartedExporter(t, env, cfg2)
	err = e2.pushLogs(context.Background(), makeLogs(0, 3, 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "siem.example.com")
}

func TestMutualTLS(t *testing.T) {
	pki := newTestPKI(t)
	srv := newSyslogServer(t, octetCounting, pki.serverConfig(true))
	env := newTestEnv(t)

	cfg := testConfig(TransportTLS, srv.addr())
	cfg.TLS.CAFile = pki.caFile
	cfg.TLS.CertFile = pki.clientCert
	cfg.TLS.KeyFile = pki.clientKey
	e := newStartedExporter(t, env, cfg)
	require.NoError(t, e.pushLogs(context.Background(), makeLogs(0, 100, 0)))
	msgs := srv.waitFor(100, 10*time.Second)
	assert.Equal(t, seq(0, 100), receivedIDs(t, msgs))

	// Without a client certificate the server refuses the connection. In TLS 1.3 the client's
	// handshake completes before the server checks the client certificate, so the refusal arrives
	// as an alert afterwards: the exporter must wait for it rather than report the first batch as
	// sent into a connection the server drops.
	noCert := testConfig(TransportTLS, srv.addr())
	noCert.TLS.CAFile = pki.caFile
	e2 := newStartedExporter(t, env, noCert)
	err := e2.pushLogs(context.Background(), makeLogs(1000, 10, 0))
	require.Error(t, err, "the first batch without a client certificate must fail, not vanish")
	assert.Contains(t, err.Error(), "rejected the client certificate")
	time.Sleep(100 * time.Millisecond)
	for _, id := range receivedIDs(t, srv.messages()) {
		assert.Less(t, id, 1000, "record %d delivered without a client certificate", id)
	}
}

func TestTLSWrongCARejected(t *testing.T) {
	pki := newTestPKI(t)
	srv := newSyslogServer(t, octetCounting, pki.serverConfig(false))
	env := newTestEnv(t)
	cfg := testConfig(TransportTLS, srv.addr())
	cfg.TLS.CAFile = pki.otherCAFile
	e := newStartedExporter(t, env, cfg)

	err := e.pushLogs(context.Background(), makeLogs(0, 10, 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate")
	assert.False(t, consumererror.IsPermanent(err), "retryable: the receiver may be fixed")
	assert.Empty(t, srv.messages())
	assert.EqualValues(t, 1, env.counter(t, metadata.MetricConnectFailures))
	assert.EqualValues(t, 10, env.counter(t, metadata.MetricRecordsFailed, metadata.AttrReason, metadata.ReasonTransport))

	// Within the reconnect backoff the next push fails fast without dialing.
	err = e.pushLogs(context.Background(), makeLogs(0, 10, 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not connecting")
	assert.EqualValues(t, 1, env.counter(t, metadata.MetricConnectFailures))
}

func TestTLS11PeerRefused(t *testing.T) {
	pki := newTestPKI(t)
	old := pki.serverConfig(false)
	old.MinVersion = tls.VersionTLS10
	old.MaxVersion = tls.VersionTLS11
	srv := newSyslogServer(t, octetCounting, old)
	env := newTestEnv(t)
	cfg := testConfig(TransportTLS, srv.addr())
	cfg.TLS.CAFile = pki.caFile
	e := newStartedExporter(t, env, cfg)

	err := e.pushLogs(context.Background(), makeLogs(0, 5, 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "version")
	assert.Empty(t, srv.messages())
}

func TestUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = pc.Close() })

	env := newTestEnv(t)
	cfg := testConfig(TransportUDP, pc.LocalAddr().String())
	cfg.UDP.MaxDatagramSize = 480
	e := newStartedExporter(t, env, cfg)

	small := makeLogs(0, 20, 0)
	big := makeLogs(20, 3, 4000)
	require.NoError(t, e.pushLogs(context.Background(), small))
	require.NoError(t, e.pushLogs(context.Background(), big))

	var got [][]byte
	buf := make([]byte, 70000)
	for len(got) < 23 {
		require.NoError(t, pc.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, _, err := pc.ReadFrom(buf)
		require.NoError(t, err, "after %d datagrams", len(got))
		got = append(got, append([]byte(nil), buf[:n]...))
	}
	assert.Equal(t, seq(0, 23), receivedIDs(t, got), "one record per datagram, in order")
	for i, d := range got {
		assert.LessOrEqual(t, len(d), 480, "datagram %d", i)
		if i < 20 {
			assert.False(t, bytes.HasSuffix(d, []byte(secformat.TruncationMarker)), "small record %d not cut", i)
		} else {
			assert.GreaterOrEqual(t, len(d), 476, "big record %d cut at the cap, not far below", i)
			assert.True(t, bytes.HasSuffix(d, []byte(secformat.TruncationMarker)), "big record %d ends with the marker: %q", i, d)
		}
	}
	assert.EqualValues(t, 3, env.counter(t, metadata.MetricRecordsTruncated))
	assert.EqualValues(t, 23, env.counter(t, metadata.MetricRecordsSent))
}

func TestFile(t *testing.T) {
	env := newTestEnv(t)
	path := filepath.Join(t.TempDir(), "sub", "siem.log")
	cfg := testConfig(TransportFile, "")
	cfg.File.Path = path
	e := newStartedExporter(t, env, cfg)

	_, err := os.Stat(path)
	require.NoError(t, err, "start-up creates the file (and its directory)")
	require.NoError(t, e.pushLogs(context.Background(), makeLogs(0, 50, 0)))
	require.NoError(t, e.pushLogs(context.Background(), makeLogs(50, 50, 0)))

	lines := readLines(t, path)
	assert.Equal(t, seq(0, 100), receivedIDs(t, lines), "records appended, one per line")
	for _, l := range lines {
		assert.True(t, bytes.HasPrefix(l, []byte("<")), "syslog header kept by default: %q", l)
	}

	// Without the header the file holds bare CEF lines.
	bare := testConfig(TransportFile, "")
	bare.File.Path = filepath.Join(t.TempDir(), "bare.log")
	bare.File.SyslogHeader = false
	e2 := newStartedExporter(t, env, bare)
	require.NoError(t, e2.pushLogs(context.Background(), makeLogs(0, 5, 0)))
	for _, l := range readLines(t, bare.File.Path) {
		assert.True(t, bytes.HasPrefix(l, []byte("CEF:0|")), "bare CEF line: %q", l)
	}

	// JSON without the header is JSON Lines.
	jsonl := testConfig(TransportFile, "")
	jsonl.File.Path = filepath.Join(t.TempDir(), "events.jsonl")
	jsonl.File.SyslogHeader = false
	jsonl.Format = FormatJSON
	e3 := newStartedExporter(t, env, jsonl)
	require.NoError(t, e3.pushLogs(context.Background(), makeLogs(0, 5, 0)))
	lines = readLines(t, jsonl.File.Path)
	assert.Equal(t, seq(0, 5), receivedIDs(t, lines))
	for _, l := range lines {
		assert.True(t, json.Valid(l), "one JSON object per line: %q", l)
	}
}

func TestFileRotation(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	cfg := testConfig(TransportFile, "")
	cfg.File.Path = filepath.Join(dir, "siem.log")
	cfg.File.MaxSizeMB = 1
	cfg.File.MaxBackups = 5
	e := newStartedExporter(t, env, cfg)

	// Well over 1 MiB in several batches.
	const batches, per = 6, 400
	for b := range batches {
		require.NoError(t, e.pushLogs(context.Background(), makeLogs(b*per, per, 800)))
	}
	files, err := filepath.Glob(filepath.Join(dir, "siem*.log"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 2, "rotated at 1 MiB: %v", files)

	var ids []int
	for _, f := range files {
		st, err := os.Stat(f)
		require.NoError(t, err)
		assert.LessOrEqual(t, st.Size(), int64(1<<20), "%s exceeds max_size_mb", f)
		ids = append(ids, receivedIDs(t, readLines(t, f))...)
	}
	slices.Sort(ids)
	assert.Equal(t, seq(0, batches*per), ids, "every record in exactly one file, no line split by a rotation")
}

func readLines(t testing.TB, path string) [][]byte {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	require.NoError(t, sc.Err())
	return lines
}

// TestPeerClosesMidBatch: the receiver resets the connection after some frames of a batch too
// large for the socket buffers. Only messages from the first one not completely written are
// returned, as a retryable *delivery.UnsentError whose batch (what exporterhelper retries through
// OnError) holds exactly those messages.
func TestPeerClosesMidBatch(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	const readBeforeReset = 500
	srv := serveOn(t, ln, octetCounting, nil, readBeforeReset, false)
	env := newTestEnv(t)
	e := newStartedExporter(t, env, testConfig(TransportTCP, srv.addr()))

	// ~40 MB: far more than loopback socket buffers hold, so writes fail after the reset.
	const total = 30000
	ld := makeLogs(0, total, 1200)
	err = e.pushLogs(context.Background(), ld)
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))

	var failed *delivery.UnsentError
	require.True(t, errors.As(err, &failed), "error carries the unsent records: %v", err)
	retry := (&delivery.Batch{}).OnError(err).(*delivery.Batch)
	assert.Same(t, failed.Rest, retry, "OnError narrows the retry to the unsent tail")
	rest := receivedIDs(t, messagesOf(retry))
	require.NotEmpty(t, rest)
	first := rest[0]
	assert.Equal(t, seq(first, total-first), rest, "returned records are exactly the batch's tail")
	assert.GreaterOrEqual(t, first, readBeforeReset, "records the receiver read are not returned")

	sent := env.counter(t, metadata.MetricRecordsSent)
	assert.EqualValues(t, first, sent, "records before the first returned one count as sent")
	assert.EqualValues(t, total-first, env.counter(t, metadata.MetricRecordsFailed, metadata.AttrReason, metadata.ReasonTransport))

	// Retrying the returned records on a new connection delivers them.
	require.NoError(t, e.sendBatch(context.Background(), retry))
	msgs := srv.waitFor(readBeforeReset+len(rest), 20*time.Second)
	ids := receivedIDs(t, msgs)
	assert.Equal(t, seq(first, total-first), ids[readBeforeReset:], "second connection got exactly the returned tail")
	assert.EqualValues(t, 1, env.counter(t, metadata.MetricReconnects))
}

// TestIdleConnectionClosedByPeer: a receiver that closed an idle connection is noticed before
// the next batch is written into it. After a graceful close (FIN) a write would still succeed
// and its bytes would vanish; after a reset the write would fail and the batch be retried.
func TestIdleConnectionClosedByPeer(t *testing.T) {
	for _, graceful := range []bool{true, false} {
		name := map[bool]string{true: "fin", false: "rst"}[graceful]
		t.Run(name, func(t *testing.T) {
			pki := newTestPKI(t)
			for _, transport := range []string{TransportTCP, TransportTLS} {
				t.Run(transport, func(t *testing.T) {
					ln, err := net.Listen("tcp", "127.0.0.1:0")
					require.NoError(t, err)
					var srvTLS *tls.Config
					cfg := testConfig(transport, ln.Addr().String())
					if transport == TransportTLS {
						srvTLS = pki.serverConfig(false)
						cfg.TLS.CAFile = pki.caFile
					}
					srv := serveOn(t, ln, octetCounting, srvTLS, 10, graceful)
					env := newTestEnv(t)
					e := newStartedExporter(t, env, cfg)

					require.NoError(t, e.pushLogs(context.Background(), makeLogs(0, 10, 0)))
					require.Len(t, srv.waitFor(10, 5*time.Second), 10)
					require.True(t, srv.waitClosed(1, 5*time.Second))
					time.Sleep(20 * time.Millisecond) // let the FIN/RST reach the client's socket

					require.NoError(t, e.pushLogs(context.Background(), makeLogs(10, 10, 0)), "the closed connection is replaced before writing")
					msgs := srv.waitFor(20, 5*time.Second)
					assert.Equal(t, seq(0, 20), receivedIDs(t, msgs), "the batch after the close is delivered in full")
					assert.Equal(t, 2, srv.connections())
					assert.EqualValues(t, 1, env.counter(t, metadata.MetricReconnects))
				})
			}
		})
	}
}

// TestPeerDownAtStart runs the whole component (exporterhelper, queue, retry): start-up
// succeeds with nothing listening, and the queued records arrive once the receiver comes up.
func TestPeerDownAtStart(t *testing.T) {
	// Reserve a port, then free it so that nothing listens there at start.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	env := newTestEnv(t)
	cfg := testConfig(TransportTCP, addr)
	cfg.RetryConfig = configretry.BackOffConfig{
		Enabled: true, InitialInterval: 20 * time.Millisecond, MaxInterval: 100 * time.Millisecond,
		Multiplier: 1.5, RandomizationFactor: 0, MaxElapsedTime: 30 * time.Second,
	}
	cfg.QueueConfig.Get().NumConsumers = 2
	require.NoError(t, cfg.Validate())

	exp, err := NewFactory().CreateLogs(context.Background(), env.set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })

	require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(0, 40, 0)))
	require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(40, 40, 0)))
	time.Sleep(600 * time.Millisecond) // the batcher's flush_timeout (200 ms), then a few failed attempts

	ln2, err := net.Listen("tcp", addr)
	require.NoError(t, err, "re-listening on the reserved port")
	srv := serveOn(t, ln2, octetCounting, nil, 0, false)

	msgs := srv.waitFor(80, 20*time.Second)
	ids := receivedIDs(t, msgs)
	slices.Sort(ids)
	assert.Equal(t, seq(0, 80), ids, "everything queued while the receiver was down arrives, once")
	assert.Positive(t, env.counter(t, metadata.MetricConnectFailures))
	// The receiver can have read the last batch before the exporter has counted it.
	assert.Eventually(t, func() bool { return env.counter(t, metadata.MetricRecordsSent) == 80 },
		5*time.Second, 10*time.Millisecond, "records_sent = 80")
}

// TestConcurrentConsumers: several queue consumers each hold their own connection; frames of
// concurrent batches never interleave (the strict parser would fail) and nothing is lost.
func TestConcurrentConsumers(t *testing.T) {
	srv := newSyslogServer(t, octetCounting, nil)
	env := newTestEnv(t)
	cfg := testConfig(TransportTCP, srv.addr())
	cfg.QueueConfig.Get().NumConsumers = 4
	exp, err := NewFactory().CreateLogs(context.Background(), env.set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))

	const producers, batches, per = 8, 10, 50
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				assert.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs((p*batches+b)*per, per, 0)))
			}
		}()
	}
	wg.Wait()
	msgs := srv.waitFor(producers*batches*per, 20*time.Second)
	require.NoError(t, exp.Shutdown(context.Background()))
	require.Empty(t, srv.errors())
	ids := receivedIDs(t, msgs)
	slices.Sort(ids)
	assert.Equal(t, seq(0, producers*batches*per), ids)
	assert.LessOrEqual(t, srv.connections(), 4, "at most one connection per consumer")
}

// TestUnformattableRecordDoesNotBlockBatch: a record the formatter cannot handle is dropped and
// counted; the records around it are sent.
func TestUnformattableRecordDoesNotBlockBatch(t *testing.T) {
	srv := newSyslogServer(t, octetCounting, nil)
	env := newTestEnv(t)
	e := newStartedExporter(t, env, testConfig(TransportTCP, srv.addr()))
	e.msg = panickyFormatter{next: e.msg, badID: eventID(3)}

	require.NoError(t, e.pushLogs(context.Background(), makeLogs(0, 8, 0)))
	msgs := srv.waitFor(7, 5*time.Second)
	assert.Equal(t, []int{0, 1, 2, 4, 5, 6, 7}, receivedIDs(t, msgs))
	assert.EqualValues(t, 1, env.counter(t, metadata.MetricRecordsFailed, metadata.AttrReason, metadata.ReasonFormat))
	assert.EqualValues(t, 7, env.counter(t, metadata.MetricRecordsSent))
}

type panickyFormatter struct {
	next  secformat.MessageFormatter
	badID string
}

func (p panickyFormatter) Append(dst []byte, res pcommon.Resource, lr plog.LogRecord) []byte {
	if v, ok := lr.Attributes().Get("event.id"); ok && v.Str() == p.badID {
		panic("formatter bug")
	}
	return p.next.Append(dst, res, lr)
}

func TestShutdownInterruptsBlockedWrite(t *testing.T) {
	// A receiver that accepts but never reads: the exporter's writes block once the socket
	// buffers are full; cancelling the push's context (what Shutdown does through
	// exporterhelper) must end the write long before write_timeout.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	env := newTestEnv(t)
	cfg := testConfig(TransportTCP, ln.Addr().String())
	cfg.WriteTimeout = time.Minute
	e := newStartedExporter(t, env, cfg)

	// Connect first, so that the cancellation below hits the write, not the dial.
	require.NoError(t, e.pushLogs(context.Background(), makeLogs(0, 1, 0)))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	// Formatted beforehand, as the sending queue does: the cancellation must hit the write.
	big := e.converter.Convert(context.Background(), makeLogs(0, 30000, 1200))
	go func() { done <- e.sendBatch(ctx, big) }()
	time.Sleep(300 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.True(t, strings.Contains(err.Error(), "context canceled"), "%v", err)
		var failed *delivery.UnsentError
		require.True(t, errors.As(err, &failed), "the unwritten records are handed back: %v", err)
		assert.Positive(t, failed.Rest.ItemsCount())
	case <-time.After(10 * time.Second):
		t.Fatal("write not interrupted by context cancellation")
	}
	select {
	case c := <-accepted:
		_ = c.Close()
	default:
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
