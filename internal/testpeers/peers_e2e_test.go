//go:build e2e

package testpeers

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const waitTimeout = 30 * time.Second // generous: the CI machine is shared; passing tests return at once

type inputCase struct {
	mode      string // SD "mode" param identifying the message
	addr      string
	framing   framing
	tls       *tls.Config
	wantInput string
}

type sent struct {
	line string
	ts   time.Time
}

// sendCases sends one sample CEF message per case, each over its own connection.
func sendCases(t *testing.T, cases []inputCase) map[string]sent {
	t.Helper()
	out := make(map[string]sent)
	for _, c := range cases {
		ts := time.Now().Truncate(time.Microsecond)
		line := frameLine(ts, c.mode, sampleCEF)
		mustSend(t, c.addr, c.framing, c.tls, line)
		out[c.mode] = sent{line, ts}
	}
	return out
}

// checkHeader asserts the peer's RFC 5424 parse of a frameLine message.
func checkHeader(t *testing.T, e Event, c inputCase, s sent, wantVersion string) {
	t.Helper()
	assert.Equal(t, c.wantInput, e.Input, "input")
	assert.Equal(t, "134", e.PRI, "pri")
	assert.Equal(t, wantVersion, e.Version, "version")
	ts, err := time.Parse(time.RFC3339Nano, e.Timestamp)
	if assert.NoError(t, err, "timestamp") {
		assert.True(t, ts.Equal(s.ts), "timestamp %s, sent %s", e.Timestamp, s.ts.Format(time.RFC3339Nano))
	}
	assert.Equal(t, "myhost", e.Hostname)
	assert.Equal(t, "secagent", e.AppName)
	assert.Equal(t, "1234", e.ProcID)
	assert.Equal(t, "ID47", e.MsgID)
	assert.Equal(t, `[ex@32473 k="v\"q\]" mode="`+c.mode+`"]`, e.StructuredData)
	assert.Equal(t, map[string]map[string]string{"ex@32473": {"k": `v"q]`, "mode": c.mode}}, e.SD)
	assert.Equal(t, s.line, e.Raw, "raw message")
}

func TestRsyslogInputs(t *testing.T) {
	certs := NewCerts(t)
	r := StartRsyslog(t, certs)
	cases := []inputCase{
		{"tcp-octet", r.TCPAddr, octetCounted, nil, "tcp"},
		{"tcp-lf", r.TCPAddr, lfTerminated, nil, "tcp"},
		{"tls", r.TLSAddr, octetCounted, certs.ClientTLSConfig(t, false), "tls"},
		{"mtls", r.MTLSAddr, octetCounted, certs.ClientTLSConfig(t, true), "mtls"},
		{"udp", r.UDPAddr, datagram, nil, "udp"},
	}
	sentMsgs := sendCases(t, cases)
	// Not CEF, unparsable CEF (liblognorm rejects \| in an extension), and a raw LF inside MSG.
	ts := time.Now()
	mustSend(t, r.TCPAddr, octetCounted, nil,
		frameLine(ts, "plain", "hello world"),
		frameLine(ts, "bad-cef", `CEF:0|A|B|1|2|N|3|k=a\|b`),
		frameLine(ts, "raw-lf", "CEF:0|A|B|1|2|N|3|k=line1\nline2"))

	evs := r.WaitForEvents(t, len(cases)+3, waitTimeout)
	require.Len(t, evs, len(cases)+3)
	got := byMode(t, evs)
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			e, ok := got[c.mode]
			require.True(t, ok, "message %q did not arrive", c.mode)
			checkHeader(t, e, c, sentMsgs[c.mode], "1")
			assert.Equal(t, sampleCEF, e.Msg)
			assert.Equal(t, sampleCEFFields(), e.CEF)
			assert.Empty(t, e.CEFUnparsed)
			// The escaped \n in the CEF value is a real newline after decoding.
			assert.Equal(t, "a=b c\\d\nline2", e.CEF.Extensions["msg"])
		})
	}
	assert.Nil(t, got["plain"].CEF)
	assert.Empty(t, got["plain"].CEFUnparsed)
	assert.Equal(t, "hello world", got["plain"].Msg)

	assert.Nil(t, got["bad-cef"].CEF)
	assert.Equal(t, `CEF:0|A|B|1|2|N|3| k=a\|b`, got["bad-cef"].CEFUnparsed, "unparsed-data carries the #363 space")

	// escapeControlCharactersOnReceive="off": the LF stays a LF (not "#012").
	assert.Equal(t, "CEF:0|A|B|1|2|N|3|k=line1\nline2", got["raw-lf"].Msg)
	require.NotNil(t, got["raw-lf"].CEF)
	assert.Equal(t, map[string]string{"k": "line1\nline2"}, got["raw-lf"].CEF.Extensions)
}

func TestSyslogNGInputs(t *testing.T) {
	certs := NewCerts(t)
	s := StartSyslogNG(t, certs)
	cases := []inputCase{
		{"tcp-octet", s.TCPAddr, octetCounted, nil, "tcp"},
		{"lf", s.LFAddr, lfTerminated, nil, "lf"},
		{"tls", s.TLSAddr, octetCounted, certs.ClientTLSConfig(t, false), "tls"},
		{"mtls", s.MTLSAddr, octetCounted, certs.ClientTLSConfig(t, true), "mtls"},
		{"udp", s.UDPAddr, datagram, nil, "udp"},
	}
	sentMsgs := sendCases(t, cases)
	ts := time.Now()
	mustSend(t, s.TCPAddr, octetCounted, nil,
		frameLine(ts, "plain", "hello world"),
		frameLine(ts, "bad-cef", `CEF:0|A|B|1|2|N|3|k=a\|b`),
		frameLine(ts, "raw-lf", "CEF:0|A|B|1|2|N|3|k=line1\nline2"))

	evs := s.WaitForEvents(t, len(cases)+3, waitTimeout)
	require.Len(t, evs, len(cases)+3)
	got := byMode(t, evs)
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			e, ok := got[c.mode]
			require.True(t, ok, "message %q did not arrive", c.mode)
			checkHeader(t, e, c, sentMsgs[c.mode], "") // syslog-ng does not expose VERSION
			assert.Equal(t, sampleCEF, e.Msg)
			assert.Equal(t, sampleCEFFields(), e.CEF)
			assert.Empty(t, e.CEFUnparsed)
		})
	}
	assert.Nil(t, got["plain"].CEF)
	assert.Equal(t, "hello world", got["plain"].Msg)
	assert.Nil(t, got["bad-cef"].CEF)
	assert.Equal(t, `CEF:0|A|B|1|2|N|3| k=a\|b`, got["bad-cef"].CEFUnparsed)
	// Octet counting carries a raw LF intact; lognormalizer cannot take it (one message per line).
	assert.Equal(t, "CEF:0|A|B|1|2|N|3|k=line1\nline2", got["raw-lf"].Msg)
	assert.Nil(t, got["raw-lf"].CEF)
	assert.Equal(t, got["raw-lf"].Msg, got["raw-lf"].CEFUnparsed)
}

// assertNotArrived asserts that no event carries the given SD "mode".
func assertNotArrived(t *testing.T, evs []Event, mode string) {
	t.Helper()
	for _, e := range evs {
		assert.NotEqual(t, mode, e.SD["ex@32473"]["mode"], "refused message arrived: %s", e.Line)
	}
}

func TestRsyslogMTLSRefusesClientWithoutTrustedCert(t *testing.T) {
	certs := NewCerts(t)
	r := StartRsyslog(t, certs)

	noCert := certs.ClientTLSConfig(t, false)
	err := sendExpectRefusal(t, r.MTLSAddr, octetCounted, noCert, frameLine(time.Now(), "no-cert", sampleCEF))
	t.Logf("client without certificate: %v", err)

	otherClient, err := tls.LoadX509KeyPair(certs.OtherClientCert, certs.OtherClientKey)
	require.NoError(t, err)
	untrusted := certs.ClientTLSConfig(t, false)
	untrusted.Certificates = []tls.Certificate{otherClient}
	err = sendExpectRefusal(t, r.MTLSAddr, octetCounted, untrusted, frameLine(time.Now(), "other-ca", sampleCEF))
	t.Logf("client with a certificate of an unrelated CA: %v", err)

	mustSend(t, r.MTLSAddr, octetCounted, certs.ClientTLSConfig(t, true), frameLine(time.Now(), "sentinel", sampleCEF))
	r.WaitForEvents(t, 1, waitTimeout)
	time.Sleep(300 * time.Millisecond) // a wrongly accepted message would have been queued before the sentinel
	evs := r.Events(t)
	require.Len(t, evs, 1, "only the sentinel may arrive")
	assert.Equal(t, "sentinel", evs[0].SD["ex@32473"]["mode"])
	assertNotArrived(t, evs, "no-cert")
	assertNotArrived(t, evs, "other-ca")
}

func TestSyslogNGMTLSRefusesClientWithoutTrustedCert(t *testing.T) {
	certs := NewCerts(t)
	s := StartSyslogNG(t, certs)

	err := sendExpectRefusal(t, s.MTLSAddr, octetCounted, certs.ClientTLSConfig(t, false), frameLine(time.Now(), "no-cert", sampleCEF))
	t.Logf("client without certificate: %v", err)
	otherClient, err := tls.LoadX509KeyPair(certs.OtherClientCert, certs.OtherClientKey)
	require.NoError(t, err)
	untrusted := certs.ClientTLSConfig(t, false)
	untrusted.Certificates = []tls.Certificate{otherClient}
	err = sendExpectRefusal(t, s.MTLSAddr, octetCounted, untrusted, frameLine(time.Now(), "other-ca", sampleCEF))
	t.Logf("client with a certificate of an unrelated CA: %v", err)

	mustSend(t, s.MTLSAddr, octetCounted, certs.ClientTLSConfig(t, true), frameLine(time.Now(), "sentinel", sampleCEF))
	s.WaitForEvents(t, 1, waitTimeout)
	time.Sleep(300 * time.Millisecond)
	evs := s.Events(t)
	require.Len(t, evs, 1, "only the sentinel may arrive")
	assert.Equal(t, "sentinel", evs[0].SD["ex@32473"]["mode"])
}

func TestSyslogNGStrictPortRejectsLFFraming(t *testing.T) {
	s := StartSyslogNG(t, NewCerts(t))
	err := sendExpectRefusal(t, s.TCPAddr, lfTerminated, nil, frameLine(time.Now(), "lf-on-strict", sampleCEF))
	t.Logf("LF framing on the octet-counting port: %v", err)

	mustSend(t, s.TCPAddr, octetCounted, nil, frameLine(time.Now(), "sentinel", sampleCEF))
	s.WaitForEvents(t, 1, waitTimeout)
	time.Sleep(300 * time.Millisecond)
	evs := s.Events(t)
	require.Len(t, evs, 1, "only the sentinel may arrive")
	assert.Equal(t, "sentinel", evs[0].SD["ex@32473"]["mode"])
	assert.True(t, logContains(t, s.LogFile(), "Invalid frame header"), "syslog-ng log should name the framing error")
}

// restartable is what Rsyslog and SyslogNG share for the restart test.
type restartable interface {
	Stop(t testing.TB)
	Kill(t testing.TB)
	Restart(t testing.TB)
	Running() bool
}

func checkRestart(t *testing.T, p restartable, tcpAddr, udpAddr string, events func() []Event, wait func(n int) []Event) {
	t.Helper()
	mustSend(t, tcpAddr, octetCounted, nil, frameLine(time.Now(), "before", sampleCEF))
	wait(1)

	p.Stop(t)
	require.False(t, p.Running())
	_, err := net.DialTimeout("tcp", tcpAddr, time.Second)
	require.Error(t, err, "a stopped peer must not accept connections")
	p.Stop(t) // stopping twice is harmless

	p.Restart(t)
	require.True(t, p.Running())
	mustSend(t, tcpAddr, octetCounted, nil, frameLine(time.Now(), "after-tcp", sampleCEF))
	mustSend(t, udpAddr, datagram, nil, frameLine(time.Now(), "after-udp", sampleCEF))
	evs := wait(3)
	got := byMode(t, evs)
	for _, m := range []string{"before", "after-tcp", "after-udp"} {
		assert.Contains(t, got, m)
	}

	p.Kill(t)
	require.False(t, p.Running())
	p.Restart(t)
	mustSend(t, tcpAddr, octetCounted, nil, frameLine(time.Now(), "after-kill", sampleCEF))
	wait(4)
	assert.Contains(t, byMode(t, events()), "after-kill")
	assert.Len(t, events(), 4)
}

func TestRsyslogRestartKeepsPortsAndOutput(t *testing.T) {
	r := StartRsyslog(t, NewCerts(t))
	addrs := []string{r.TCPAddr, r.TLSAddr, r.MTLSAddr, r.UDPAddr}
	pid := r.d.cmd.Process.Pid
	checkRestart(t, r, r.TCPAddr, r.UDPAddr,
		func() []Event { return r.Events(t) },
		func(n int) []Event { return r.WaitForEvents(t, n, waitTimeout) })
	assert.Equal(t, addrs, []string{r.TCPAddr, r.TLSAddr, r.MTLSAddr, r.UDPAddr})
	assert.NotEqual(t, pid, r.d.cmd.Process.Pid, "Restart must start a new process")
}

func TestSyslogNGRestartKeepsPortsAndOutput(t *testing.T) {
	s := StartSyslogNG(t, NewCerts(t))
	pid := s.d.cmd.Process.Pid
	checkRestart(t, s, s.TCPAddr, s.UDPAddr,
		func() []Event { return s.Events(t) },
		func(n int) []Event { return s.WaitForEvents(t, n, waitTimeout) })
	assert.NotEqual(t, pid, s.d.cmd.Process.Pid, "Restart must start a new process")
}

// The certificates for negative tests work as intended against a real TLS server (both rsyslog
// drivers): a Go client rejects an expired server cert, a cert for another host, and any server
// when it trusts only the unrelated CA.
func TestNegativeServerCerts(t *testing.T) {
	certs := NewCerts(t)
	line := frameLine(time.Now(), "x", sampleCEF)

	expired := StartRsyslog(t, certs.WithServerCert(certs.ExpiredServerCert, certs.ExpiredServerKey))
	for _, a := range []string{expired.TLSAddr, expired.MTLSAddr} {
		err := send(a, octetCounted, certs.ClientTLSConfig(t, true), line)
		var inv x509.CertificateInvalidError
		require.ErrorAs(t, err, &inv, "server %s", a)
		assert.Equal(t, x509.Expired, inv.Reason)
	}

	wrong := StartRsyslog(t, certs.WithServerCert(certs.WrongHostServerCert, certs.WrongHostServerKey))
	for _, a := range []string{wrong.TLSAddr, wrong.MTLSAddr} {
		err := send(a, octetCounted, certs.ClientTLSConfig(t, true), line)
		var hn x509.HostnameError
		require.ErrorAs(t, err, &hn, "server %s", a)
		// and the same certificate is fine for its own name
		cfg := certs.ClientTLSConfig(t, true)
		cfg.ServerName = WrongHostName
		require.NoError(t, send(a, octetCounted, cfg, line))
	}

	good := StartRsyslog(t, certs)
	otherCA := certs.ClientTLSConfig(t, true)
	otherCA.RootCAs = certs.Pool(t, certs.OtherCAFile)
	err := send(good.TLSAddr, octetCounted, otherCA, line)
	var ua x509.UnknownAuthorityError
	require.ErrorAs(t, err, &ua)
	require.NoError(t, send(good.TLSAddr, octetCounted, certs.ClientTLSConfig(t, false), line))
}

func TestCEFOracle(t *testing.T) {
	lines := []string{
		sampleCEF,
		`CEF:0|A|B|1|2|N|3|k=ü r=a\rb`,
		`CEF:0|A|B|1|2|N|3|k=a\|b`,
		`CEF:0|A|B|1|2|N|3|`,
		`CEF:0|A|B|1|2|N|3| k=v`, // a space already there: the workaround adds a harmless second one
		`CEF:0|A|B|1|2|N|3|k=a=b`,
		`CEF:1|A|B|1|2|N|3|k=v`,
		`CEF:0|A|B|1|2|N|3`,
		`not cef`,
	}
	res := CEFOracle(t, lines)
	require.Len(t, res, len(lines))
	for i, r := range res {
		assert.Equal(t, lines[i], r.Line)
	}
	hdr := func(ext map[string]string) *CEFFields {
		return &CEFFields{Vendor: "A", Product: "B", Version: "1", SignatureID: "2", Name: "N", Severity: "3", Extensions: ext}
	}
	assert.Equal(t, sampleCEFFields(), res[0].CEF)
	assert.Equal(t, hdr(map[string]string{"k": "ü", "r": "a\rb"}), res[1].CEF)
	assert.False(t, res[2].Parsed(), "liblognorm rejects \\| inside an extension value")
	assert.Equal(t, `CEF:0|A|B|1|2|N|3| k=a\|b`, res[2].Unparsed)
	assert.Equal(t, hdr(map[string]string{}), res[3].CEF)
	assert.Equal(t, hdr(map[string]string{"k": "v"}), res[4].CEF)
	assert.False(t, res[5].Parsed(), "unescaped '=' in a value")
	assert.False(t, res[6].Parsed(), "CEF:1")
	assert.Equal(t, "CEF:1|A|B|1|2|N|3|k=v", res[6].Unparsed, "no workaround space without a CEF:0 header")
	assert.False(t, res[7].Parsed(), "incomplete header")
	assert.False(t, res[8].Parsed())
	assert.Equal(t, "not cef", res[8].Unparsed)
	for _, r := range res {
		if r.Parsed() {
			assert.Empty(t, r.Unparsed)
		} else {
			assert.Nil(t, r.CEF)
		}
	}
}

// Liblognorm 2.0.6 (Debian 12) still has bug #363, which is why CEFOracle and the rsyslog config
// insert a space. If this fails, the installed liblognorm is fixed and the workaround can go.
func TestLiblognormBug363StillPresent(t *testing.T) {
	bin := lognormalizerPath(t)
	rb := t.TempDir() + "/cef.rulebase"
	writeFile(t, rb, cefRulebase)
	out := runCmd(t, "CEF:0|A|B|1|2|N|3|src=1\n", bin, "-r", rb, "-e", "json")
	r := decodeOracle(t, "", strings.TrimSpace(out))
	require.NotNil(t, r.CEF, out)
	assert.Equal(t, map[string]string{"rc": "1"}, r.CEF.Extensions,
		"without the workaround liblognorm should lose the first key's first character (bug #363)")
}

func TestStartPeersFailOnBadConfig(t *testing.T) {
	// A server key that does not exist: syslog-ng refuses to start the TLS listeners. The harness
	// must fail the test with the peer's log rather than hang or pass.
	syslogNGPath(t) // a missing syslog-ng must fail this test too, not satisfy it
	certs := NewCerts(t)
	bad := certs.WithServerCert(certs.ServerCert, certs.Dir+"/missing.key")
	ft := &fatalRecorder{TB: t}
	ft.run(func() { StartSyslogNG(ft, bad) })
	require.True(t, ft.failed, "StartSyslogNG with a missing key should fail the test")
	assert.Contains(t, ft.msg, "syslog-ng")
	t.Log(ft.msg)
}

// Restart brings the peer back on its own ports even when one of them is held by another socket
// for a while after the stop (an ephemeral port of some other connection).
func TestRestartWaitsForItsPort(t *testing.T) {
	rs := StartRsyslog(t, NewCerts(t))
	rs.Stop(t)
	ln, err := net.Listen("tcp", rs.TCPAddr)
	if err != nil {
		t.Fatalf("holding %s: %v", rs.TCPAddr, err)
	}
	time.AfterFunc(time.Second, func() { _ = ln.Close() })
	start := time.Now()
	rs.Restart(t)
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("restarted after %s, while the port was held for 1 s", waited)
	}
	if !rs.Running() {
		t.Fatal("rsyslog not running after Restart")
	}
}
