package testpeers

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"
)

// SyslogNGTLSSender is syslog-ng (3.38, OpenSSL) as the TLS client of a syslog-over-TLS receiver
// (RFC 5425): what a test writes to InAddr (RFC 5424 lines over plain TCP on loopback) syslog-ng
// parses and sends on to the target over TLS, octet-counted, presenting the client certificate it
// was given. It is how an OT gateway running syslog-ng forwards to the collector.
type SyslogNGTLSSender struct {
	// InAddr takes RFC 5424 messages, one per line (LF framing).
	InAddr string
	// Dir holds syslog-ng.conf, the pid/persist/control files and its log.
	Dir string
	*peer
}

// SyslogTLSClient is what a sender presents and trusts: CAFile verifies the receiver's
// certificate; CertFile/KeyFile (optional) is the client certificate.
type SyslogTLSClient struct {
	CAFile, CertFile, KeyFile string
}

type syslogNGSenderConf struct {
	InPort     int
	TargetHost string
	TargetPort string
	SyslogTLSClient
}

var syslogNGSenderTemplate = template.Must(template.New("syslog-ng-sender.conf").Parse(`@version: 3.38
# written by internal/testpeers for one test; loopback only
# time-reopen(1): retry a refused connection every second, so a test sees repeated refusals.
options { use-dns(no); dns-cache(no); keep-hostname(yes); chain-hostnames(no); stats-freq(0);
          time-reopen(1); log-msg-size(65536); };
source in { network(ip(127.0.0.1) port({{.InPort}}) transport(tcp) flags(syslog-protocol)); };
destination out { syslog("{{.TargetHost}}" port({{.TargetPort}}) transport(tls)
                  tls(ca-file("{{.CAFile}}"){{if .CertFile}} cert-file("{{.CertFile}}") key-file("{{.KeyFile}}"){{end}}
                      peer-verify(required-trusted))); };
log { source(in); destination(out); flags(flow-control); };
`))

// StartSyslogNGTLSSender starts syslog-ng forwarding to target (host:port) over TLS with the
// given client identity, and stops it in t.Cleanup. It fails the test if syslog-ng is missing.
func StartSyslogNGTLSSender(t testing.TB, target string, client SyslogTLSClient) *SyslogNGTLSSender {
	t.Helper()
	bin := syslogNGPath(t)
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		t.Fatalf("testpeers: target %q: %v", target, err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	conf := filepath.Join(dir, "syslog-ng.conf")
	s := &SyslogNGTLSSender{Dir: dir}
	s.peer = startPeer(t, 1, 0, func(_ int, tcp, _ []int) *daemon {
		var b strings.Builder
		if err := syslogNGSenderTemplate.Execute(&b, syslogNGSenderConf{
			InPort: tcp[0], TargetHost: host, TargetPort: port, SyslogTLSClient: client,
		}); err != nil {
			t.Fatalf("testpeers: %v", err)
		}
		writeFile(t, conf, b.String())
		s.InAddr = addr(tcp[0])
		return syslogNGDaemon("syslog-ng (TLS sender)", bin, conf, dir)
	})
	return s
}

// Send writes messages (RFC 5424, without framing) to the sender's input, one per line.
func (s *SyslogNGTLSSender) Send(t testing.TB, messages ...string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.InAddr, 10*time.Second)
	if err != nil {
		t.Fatalf("testpeers: dial syslog-ng sender: %v", err)
	}
	defer conn.Close()
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	for _, m := range messages {
		if _, err := conn.Write([]byte(m + "\n")); err != nil {
			t.Fatalf("testpeers: write to syslog-ng sender: %v", err)
		}
	}
}
