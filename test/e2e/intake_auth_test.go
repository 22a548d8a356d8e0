//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/internal/testpeers"
	"github.com/unified-ot/otelcol-siem/secevent"
)

const (
	intakeToken      = "intake-token-7f3a9c1e5b2d4a6f8e0c"
	wrongIntakeToken = "intake-token-0000-not-the-right-one"
	refusedMetric    = "otelcol_intake_refused_requests"
)

// intakeEvents is one configuration-change event per id (forwarded at any severity).
func intakeEvents(ids ...string) plog.Logs {
	events := make([]testcollector.Event, len(ids))
	for i, id := range ids {
		events[i] = testcollector.Event{
			ID: id, Time: time.Now().UTC(), Severity: plog.SeverityNumberInfo,
			Body: "login success for operator " + id,
			Attributes: map[string]any{
				secevent.KeyCategory: string(secevent.CategoryAuthentication), secevent.KeyAction: secevent.ActionLogin,
				secevent.KeyOutcome: string(secevent.OutcomeSuccess), secevent.KeyUserName: "operator",
			},
		}
	}
	return testcollector.Logs("unified-ot-connector", events...)
}

func clientTLS(t *testing.T, certs *testpeers.Certs, certFile, keyFile string) *tls.Config {
	t.Helper()
	cfg := &tls.Config{RootCAs: certs.Pool(t, certs.CAFile), MinVersion: tls.VersionTLS12}
	if certFile != "" {
		kp, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		// Present the certificate whatever CAs the server names, as a forger would: Go's client
		// would otherwise withhold a certificate from another CA and the server's verification of
		// it would go untested.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &kp, nil }
	}
	return cfg
}

func writeTokenFile(t *testing.T, token string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "intake.token")
	if err := os.WriteFile(p, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestIntakeMTLSAndToken: the built binary with the site config, OTLP gRPC and HTTP over TLS with
// client certificates from the site CA and a bearer token. A client without a certificate, with one
// from another CA, with an expired one, without a token or with a wrong token is refused and
// nothing it sent reaches the SIEM (the OTLP sink); the token refusals are counted by reason and
// logged with the peer address and without the token; TLS refusals are logged by the servers; the
// right credentials are delivered.
func TestIntakeMTLSAndToken(t *testing.T) {
	certs := testpeers.NewCerts(t)
	expiredCert, expiredKey := certs.ExpiredClientCert(t)
	sink := testcollector.NewOTLPSink(t)
	col := testcollector.Start(t, testcollector.Options{Env: map[string]string{
		"OTELCOL_SIEM_EXPORTERS":               "[otlp_http/siem]",
		"OTELCOL_SIEM_OTLP_EXPORT_ENDPOINT":    sink.URL,
		"OTELCOL_SIEM_OTLP_TLS":                "true",
		"OTELCOL_SIEM_OTLP_TLS_CERT_FILE":      certs.ServerCert,
		"OTELCOL_SIEM_OTLP_TLS_KEY_FILE":       certs.ServerKey,
		"OTELCOL_SIEM_OTLP_TLS_CLIENT_CA_FILE": certs.CAFile,
		"OTELCOL_SIEM_INTAKE_TOKEN_FILE":       writeTokenFile(t, intakeToken),
		// debug: the gRPC server logs TLS handshake failures only at debug level, and no token may
		// appear in the log even at debug.
		"OTELCOL_SIEM_LOG_LEVEL": "debug",
	}})

	good := clientTLS(t, certs, certs.ClientCert, certs.ClientKey)
	bearer := "Bearer " + intakeToken
	refused := []struct {
		name   string
		client testcollector.OTLPClient
		reason string // the intake_guard reason; "" for a TLS refusal (before any authenticator)
	}{
		{"no-client-cert", testcollector.OTLPClient{TLS: clientTLS(t, certs, "", ""), Authorization: bearer}, ""},
		{"other-ca-cert", testcollector.OTLPClient{TLS: clientTLS(t, certs, certs.OtherClientCert, certs.OtherClientKey), Authorization: bearer}, ""},
		{"expired-cert", testcollector.OTLPClient{TLS: clientTLS(t, certs, expiredCert, expiredKey), Authorization: bearer}, ""},
		{"no-token", testcollector.OTLPClient{TLS: good}, "missing_credentials"},
		{"wrong-token", testcollector.OTLPClient{TLS: good, Authorization: "Bearer " + wrongIntakeToken}, "invalid_credentials"},
	}
	var refusedIDs, goodIDs []string
	for _, proto := range []string{"grpc", "http"} {
		endpoint := col.GRPCEndpoint
		if proto == "http" {
			endpoint = col.HTTPEndpoint
		}
		send := func(c testcollector.OTLPClient, logs plog.Logs) error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if proto == "grpc" {
				return c.SendGRPC(ctx, endpoint, logs)
			}
			return c.SendHTTP(ctx, endpoint, logs)
		}
		for _, r := range refused {
			id := proto + "-" + r.name
			refusedIDs = append(refusedIDs, id)
			err := send(r.client, intakeEvents(id))
			if err == nil {
				t.Errorf("%s %s: accepted, want refused", proto, r.name)
				continue
			}
			t.Logf("%s %s: refused: %v", proto, r.name, err)
			if r.reason != "" && !strings.Contains(err.Error(), "Unauthenticated") && !strings.Contains(err.Error(), "401") {
				t.Errorf("%s %s: %v, want Unauthenticated / 401", proto, r.name, err)
			}
		}
		id := proto + "-right-credentials"
		goodIDs = append(goodIDs, id)
		if err := send(testcollector.OTLPClient{TLS: good, Authorization: bearer}, intakeEvents(id)); err != nil {
			t.Errorf("%s with the right certificate and token: %v", proto, err)
		}
	}

	if got := sink.WaitFor(goodIDs, 30*time.Second); got != len(goodIDs) {
		t.Fatalf("delivered %d of %d events sent with the right credentials", got, len(goodIDs))
	}
	// Every refused request was answered before the accepted ones were sent, so anything of theirs
	// that had entered the pipeline would be in the sink by now.
	delivered := map[string]bool{}
	for _, id := range sink.IDs() {
		delivered[id] = true
	}
	for _, id := range refusedIDs {
		if delivered[id] {
			t.Errorf("event %s from a refused client reached the SIEM", id)
		}
	}

	for reason, want := range map[string]float64{"missing_credentials": 2, "invalid_credentials": 2} {
		got, err := col.WaitMetric(want, 5*time.Second, refusedMetric, `extension="intake_guard"`, `reason="`+reason+`"`)
		if err != nil || got != want {
			t.Errorf("%s{reason=%q} = %v (%v), want %v", refusedMetric, reason, got, err, want)
		}
	}

	out := col.Output()
	if n := strings.Count(out, "intake request refused"); n != 4 {
		t.Errorf("log has %d \"intake request refused\" lines, want 4 (2 missing, 2 wrong tokens)", n)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "intake request refused") && !strings.Contains(line, `"peer": "127.0.0.1`) {
			t.Errorf("refusal logged without the peer address: %s", line)
		}
	}
	for _, secret := range []string{intakeToken, wrongIntakeToken} {
		if strings.Contains(out, secret) {
			t.Errorf("the collector log contains a token (%s...)", secret[:12])
		}
	}
	// TLS refusals happen in the gRPC and HTTP servers' handshakes, before any authenticator, and no
	// collector setting counts them; the servers log them (HTTP at error, gRPC at debug), naming the
	// peer and the certificate fault.
	for want, n := range map[string]int{
		"http: TLS handshake error from 127.0.0.1:": 3,
		`ServerHandshake(\"127.0.0.1:`:              3,
		"certificate signed by unknown authority":   2,
		"certificate has expired":                   2,
	} {
		if got := strings.Count(out, want); got < n {
			t.Errorf("log has %q %d times, want at least %d (the TLS refusals)", want, got, n)
		}
	}

	// The client side of secevent/seclog (CAFile, CertFile/KeyFile, TokenFile), through the demo
	// emitter: with the site certificate and the token every event is delivered; without the token
	// the emitter reports the failure and nothing of it arrives.
	demo := func(prefix string, extra ...string) (string, error) {
		args := append([]string{"-endpoint", col.GRPCEndpoint, "-ca", certs.CAFile, "-cert", certs.ClientCert, "-key", certs.ClientKey,
			"-count", "50", "-id-prefix", prefix, "-retry", "-1s", "-shutdown-timeout", "20s"}, extra...)
		out, err := exec.Command(demoBinary(t), args...).CombinedOutput()
		return string(out), err
	}
	tokenFile := writeTokenFile(t, intakeToken)
	if out, err := demo("seclog-token-", "-token-file", tokenFile); err != nil {
		t.Errorf("secevent-demo with certificate and token: %v\n%s", err, out)
	}
	demoIDs := func(prefix string) []string {
		var ids []string
		for i := 1; i <= 50; i++ {
			ids = append(ids, fmt.Sprintf("%s%d", prefix, i))
		}
		return ids
	}
	if got := sink.WaitFor(demoIDs("seclog-token-"), 30*time.Second); got != 50 {
		t.Errorf("delivered %d of 50 events sent by seclog with certificate and token", got)
	}
	if out, err := demo("seclog-notoken-"); err == nil || !strings.Contains(out, "delivered 0 of 50") {
		t.Errorf("secevent-demo without the token: err=%v, want a failure delivering 0 of 50:\n%s", err, out)
	}
	// Accepted events sent after the refused ones: once they are in the sink, anything of the
	// refused client's that had entered the pipeline would be there too.
	if out, err := demo("seclog-token-after-", "-token-file", tokenFile); err != nil {
		t.Errorf("secevent-demo with certificate and token: %v\n%s", err, out)
	}
	if got := sink.WaitFor(demoIDs("seclog-token-after-"), 30*time.Second); got != 50 {
		t.Errorf("delivered %d of 50 events sent by seclog after the refused client", got)
	}
	for _, id := range sink.IDs() {
		if strings.HasPrefix(id, "seclog-notoken-") {
			t.Fatalf("event %s sent without the token reached the SIEM", id)
		}
	}
	col.Stop(30 * time.Second)
}

// demoBinary is the secevent-demo emitter (SECEVENT_DEMO_BIN, else _build/secevent-demo).
func demoBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("SECEVENT_DEMO_BIN")
	if bin == "" {
		bin = filepath.Join(testcollector.RepoRoot(), "_build", "secevent-demo")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s missing (%v): run `make _build/secevent-demo` or `make e2e-test`", bin, err)
	}
	return bin
}
