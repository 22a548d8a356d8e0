//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/internal/testpeers"
	"github.com/unified-ot/otelcol-siem/internal/testports"
)

// TestIntakeExposureRefused: receivers in the pipeline bound to non-loopback addresses with neither
// TLS nor a token stop the start, with a message naming each exposed receiver and address and the
// variable that accepts the exposure; no receiver is started (nothing was ever listening on the
// network).
func TestIntakeExposureRefused(t *testing.T) {
	ports := testports.TCP(t, 3)
	grpc, http, syslog := fmt.Sprintf("0.0.0.0:%d", ports[0]), fmt.Sprintf(":%d", ports[1]), fmt.Sprintf("0.0.0.0:%d", ports[2])
	col, err := testcollector.StartNoWait(t, testcollector.Options{Env: map[string]string{
		"OTELCOL_SIEM_OTLP_GRPC_ENDPOINT":       grpc,
		"OTELCOL_SIEM_OTLP_HTTP_ENDPOINT":       http,
		"OTELCOL_SIEM_RECEIVERS":                "[otlp, syslog]",
		"OTELCOL_SIEM_SYSLOG_RECEIVER_ENDPOINT": syslog,
	}})
	if err != nil {
		t.Fatal(err)
	}
	exited, exitErr := col.Wait(60 * time.Second)
	if !exited || exitErr == nil {
		t.Fatalf("collector with an exposed unauthenticated intake: exited=%v err=%v, want a failed start", exited, exitErr)
	}
	out := col.Output()
	for _, want := range []string{
		"intake_guard: refusing to start",
		"otlp (grpc " + grpc + ")", "otlp (http " + http + ")", "syslog (tcp " + syslog + ")",
		"neither TLS nor an authenticator",
		"OTELCOL_SIEM_ACCEPT_UNAUTHENTICATED_INTAKE=true",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("start-up error lacks %q:\n%s", want, intakeTail(out, 3000))
		}
	}
	for _, never := range []string{"Starting GRPC server", "Starting HTTP server", "Starting stanza receiver"} {
		if strings.Contains(out, never) {
			t.Errorf("a receiver was started before the refusal (%q)", never)
		}
	}
}

// TestIntakeExposureAcceptedOrAuthenticated: the same non-loopback binds start when the exposure is
// accepted (with a WARN naming each exposed receiver), when a token protects the OTLP intake, and
// with TLS but no client authentication (with a WARN that clients are not authenticated).
// Each collector runs in a network namespace of its own (unshare --net: a loopback interface that
// is down and nothing else), so its 0.0.0.0 listeners are reachable from nowhere.
func TestIntakeExposureAcceptedOrAuthenticated(t *testing.T) {
	token := writeTokenFile(t, intakeToken)
	cases := []struct {
		name        string
		env         map[string]string
		warn        string // a WARN line that must be logged
		mustName    []string
		mustNotWarn string
	}{
		{
			name: "accepted",
			env: map[string]string{
				"OTELCOL_SIEM_ACCEPT_UNAUTHENTICATED_INTAKE": "true",
				"OTELCOL_SIEM_RECEIVERS":                     "[otlp, syslog]",
			},
			warn:     "UNAUTHENTICATED INTAKE",
			mustName: []string{"otlp (grpc 0.0.0.0:14317)", "otlp (http 0.0.0.0:14318)", "syslog (tcp 0.0.0.0:15514)"},
		},
		{
			name:        "token",
			env:         map[string]string{"OTELCOL_SIEM_INTAKE_TOKEN_FILE": token},
			mustNotWarn: "UNAUTHENTICATED INTAKE",
		},
		{
			name: "tls-without-client-auth",
			env: map[string]string{
				"OTELCOL_SIEM_OTLP_TLS": "true",
				// set below from a fresh test PKI
				"OTELCOL_SIEM_OTLP_TLS_CERT_FILE": "",
			},
			warn:        "intake encrypted but clients are not authenticated",
			mustName:    []string{"otlp (grpc 0.0.0.0:14317)", "otlp (http 0.0.0.0:14318)"},
			mustNotWarn: "UNAUTHENTICATED INTAKE",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range c.env {
				env[k] = v
			}
			if _, ok := env["OTELCOL_SIEM_OTLP_TLS_CERT_FILE"]; ok {
				certs := testpeers.NewCerts(t)
				env["OTELCOL_SIEM_OTLP_TLS_CERT_FILE"], env["OTELCOL_SIEM_OTLP_TLS_KEY_FILE"] = certs.ServerCert, certs.ServerKey
			}
			out := runIsolated(t, env)
			if !strings.Contains(out, "Everything is ready") {
				t.Fatalf("collector did not start:\n%s", intakeTail(out, 4000))
			}
			if c.warn != "" {
				line := intakeLineWith(out, c.warn)
				if line == "" || !strings.Contains(line, "\twarn\t") {
					t.Errorf("no WARN line with %q:\n%s", c.warn, intakeTail(out, 4000))
				}
				for _, name := range c.mustName {
					if !strings.Contains(line, name) {
						t.Errorf("WARN line does not name %q: %s", name, line)
					}
				}
			}
			if c.mustNotWarn != "" && strings.Contains(out, c.mustNotWarn) {
				t.Errorf("unexpected %q:\n%s", c.mustNotWarn, intakeLineWith(out, c.mustNotWarn))
			}
		})
	}
}

// runIsolated runs the built binary with the site config in a new network namespace (only a
// loopback interface, down) with every listener on 0.0.0.0, waits until it is ready or exits, stops
// it and returns its output.
func runIsolated(t *testing.T, env map[string]string) string {
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("unshare (util-linux) is needed to bind 0.0.0.0 in an isolated network namespace: %v", err)
	}
	dir := t.TempDir()
	base := map[string]string{
		"OTELCOL_SIEM_OTLP_GRPC_ENDPOINT":       "0.0.0.0:14317",
		"OTELCOL_SIEM_OTLP_HTTP_ENDPOINT":       "0.0.0.0:14318",
		"OTELCOL_SIEM_SYSLOG_RECEIVER_ENDPOINT": "0.0.0.0:15514",
		"OTELCOL_SIEM_HEALTH_ENDPOINT":          "127.0.0.1:13133",
		"OTELCOL_SIEM_METRICS_PORT":             "8888",
		"OTELCOL_SIEM_STORAGE_DIR":              filepath.Join(dir, "storage"),
		"OTELCOL_SIEM_SYSLOG_FILE":              filepath.Join(dir, "siem.log"),
	}
	for k, v := range env {
		base[k] = v
	}
	args := []string{"--net"}
	if os.Geteuid() != 0 {
		args = append(args, "--map-root-user") // a user namespace lets a non-root user make the network one
	}
	args = append(args, testcollector.Binary(t), "--config", filepath.Join(testcollector.RepoRoot(), "otelcol-config.yaml"))
	cmd := exec.Command(unshare, args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range base {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out testcollector.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.After(60 * time.Second)
wait:
	for !strings.Contains(out.String(), "Everything is ready") {
		select {
		case <-done:
			break wait
		case <-deadline:
			break wait
		case <-time.After(100 * time.Millisecond):
		}
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	return out.String()
}

func intakeLineWith(out, s string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}

func intakeTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// TestIntakeTokenFileMissing: a token file that cannot be read stops the start with a message that
// names the extension, the key and the path (a guard that would refuse every client for want of its
// file never runs).
func TestIntakeTokenFileMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such.token")
	col, err := testcollector.StartNoWait(t, testcollector.Options{Env: map[string]string{"OTELCOL_SIEM_INTAKE_TOKEN_FILE": missing}})
	if err != nil {
		t.Fatal(err)
	}
	exited, exitErr := col.Wait(60 * time.Second)
	if !exited || exitErr == nil {
		t.Fatalf("collector with a missing token file: exited=%v err=%v, want a failed start", exited, exitErr)
	}
	for _, want := range []string{"intake_guard: token_file:", missing} {
		if !strings.Contains(col.Output(), want) {
			t.Errorf("start-up error lacks %q:\n%s", want, intakeTail(col.Output(), 3000))
		}
	}
}
