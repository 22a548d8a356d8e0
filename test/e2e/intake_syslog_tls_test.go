//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/internal/testpeers"
	"github.com/unified-ot/otelcol-siem/internal/testports"
)

// syslogLine is an RFC 5424 sshd failed login (local0.warning) carrying marker in its message.
func syslogLine(marker string) string {
	return fmt.Sprintf("<132>1 %s plc-gw-01 sshd 4242 - - Failed password for invalid user %s from 10.0.0.5 port 22 ssh2",
		time.Now().UTC().Format(time.RFC3339Nano), marker)
}

// TestIntakeSyslogOverTLS: the built binary's syslog/tls receiver (RFC 5425) with client
// certificates from the site CA, fed by syslog-ng as the TLS client (OpenSSL). A sender without a
// client certificate, with one from another CA or with an expired one is refused and nothing it
// sent reaches the SIEM (cef_syslog's file); the sender with the site certificate is delivered.
func TestIntakeSyslogOverTLS(t *testing.T) {
	certs := testpeers.NewCerts(t)
	expiredCert, expiredKey := certs.ExpiredClientCert(t)
	siemFile := filepath.Join(t.TempDir(), "siem-events.log")
	endpoint := fmt.Sprintf("127.0.0.1:%d", testports.TCP(t, 1)[0])
	col := testcollector.Start(t, testcollector.Options{Env: map[string]string{
		"OTELCOL_SIEM_RECEIVERS":                          "[syslog/tls]",
		"OTELCOL_SIEM_SYSLOG_TLS_RECEIVER_ENDPOINT":       endpoint,
		"OTELCOL_SIEM_SYSLOG_TLS_RECEIVER_CERT_FILE":      certs.ServerCert,
		"OTELCOL_SIEM_SYSLOG_TLS_RECEIVER_KEY_FILE":       certs.ServerKey,
		"OTELCOL_SIEM_SYSLOG_TLS_RECEIVER_CLIENT_CA_FILE": certs.CAFile,
		"OTELCOL_SIEM_EXPORTERS":                          "[cef_syslog/siem]",
		"OTELCOL_SIEM_SYSLOG_FILE":                        siemFile,
	}})

	// Each refusal is the receiver's TLS handshake failing: the TCP input logs it (at error,
	// "Scanner error") with the certificate fault; nothing of that connection is parsed.
	refused := []struct {
		name   string
		client testpeers.SyslogTLSClient
		logged string
	}{
		{"no-client-cert", testpeers.SyslogTLSClient{CAFile: certs.CAFile}, "tls: client didn't provide a certificate"},
		{"other-ca-cert", testpeers.SyslogTLSClient{CAFile: certs.CAFile, CertFile: certs.OtherClientCert, KeyFile: certs.OtherClientKey},
			"x509: certificate signed by unknown authority"},
		{"expired-cert", testpeers.SyslogTLSClient{CAFile: certs.CAFile, CertFile: expiredCert, KeyFile: expiredKey},
			"x509: certificate has expired"},
	}
	for _, r := range refused {
		sender := testpeers.StartSyslogNGTLSSender(t, endpoint, r.client)
		sender.Send(t, syslogLine("refused-"+r.name))
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) && !strings.Contains(col.Output(), r.logged) {
			time.Sleep(100 * time.Millisecond)
		}
		if !strings.Contains(col.Output(), r.logged) {
			t.Errorf("%s: the collector did not log %q; syslog-ng log:\n%s", r.name, r.logged, readFileOrEmpty(sender.LogFile()))
		}
		sender.Stop(t)
	}

	good := testpeers.StartSyslogNGTLSSender(t, endpoint, testpeers.SyslogTLSClient{
		CAFile: certs.CAFile, CertFile: certs.ClientCert, KeyFile: certs.ClientKey})
	good.Send(t, syslogLine("accepted-site-cert"))
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(readFileOrEmpty(siemFile), "accepted-site-cert") {
		time.Sleep(200 * time.Millisecond)
	}
	out := readFileOrEmpty(siemFile)
	if !strings.Contains(out, "accepted-site-cert") {
		t.Fatalf("the message from the sender with the site certificate did not reach the SIEM file:\n%s\nsyslog-ng log:\n%s", out, readFileOrEmpty(good.LogFile()))
	}
	for _, r := range refused {
		if strings.Contains(out, "refused-"+r.name) {
			t.Errorf("a message from the refused sender %s reached the SIEM", r.name)
		}
	}
	col.Stop(30 * time.Second)
}
