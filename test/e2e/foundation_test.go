//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// distributionComponents are the components builder-config.yaml must build in, by kind.
var distributionComponents = map[string][]string{
	"receivers":  {"otlp", "syslog"},
	"processors": {"memory_limiter", "batch", "redaction", "alert"},
	"exporters":  {"debug", "otlp_http", "cef_syslog", "splunk_hec_sec", "security_webhook"},
	"extensions": {"file_storage", "health_check", "queue_storage", "intake_guard", "bearertokenauth"},
}

func TestComponentsListsTheDistribution(t *testing.T) {
	out, err := exec.Command(testcollector.Binary(t), "components").CombinedOutput()
	if err != nil {
		t.Fatalf("components: %v\n%s", err, out)
	}
	// The output is YAML: "<kind>:\n    - name: <type>\n ...". Collect the names under each kind.
	got := map[string]map[string]bool{}
	kind := ""
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, " ") && strings.HasSuffix(line, ":") {
			kind = strings.TrimSuffix(line, ":")
			got[kind] = map[string]bool{}
			continue
		}
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "- name: "); ok && kind != "" {
			got[kind][name] = true
		}
	}
	for kind, names := range distributionComponents {
		for _, n := range names {
			if !got[kind][n] {
				t.Errorf("%s %q missing from `otelcol-siem components`:\n%s", kind, n, out)
			}
		}
	}
}

// TestSitePipelineDeliversOTLPLogs runs the binary with the repository's otelcol-config.yaml, sends
// security events over OTLP/gRPC and OTLP/HTTP, and checks they come out of the otlp_http exporter
// (through the persistent queue) whole: every id once, event time, severity, body and attributes kept.
func TestSitePipelineDeliversOTLPLogs(t *testing.T) {
	sink := testcollector.NewOTLPSink(t)
	col := testcollector.Start(t, testcollector.Options{Env: map[string]string{
		"OTELCOL_SIEM_EXPORTERS":            "[otlp_http/siem]",
		"OTELCOL_SIEM_OTLP_EXPORT_ENDPOINT": sink.URL,
	}})

	eventTime := time.Date(2026, 11, 26, 10, 15, 2, 123456789, time.UTC)
	var ids []string
	send := func(via string, n int, fn func(context.Context, plog.Logs) error) {
		events := make([]testcollector.Event, n)
		for i := range events {
			id := fmt.Sprintf("%s-%04d", via, i)
			ids = append(ids, id)
			events[i] = testcollector.Event{
				ID: id, Time: eventTime, Severity: plog.SeverityNumberWarn,
				Body: "Failed login attempt for alice@example.com",
				Attributes: map[string]any{
					secevent.KeyCategory: string(secevent.CategoryAuthentication), secevent.KeyAction: secevent.ActionLogin,
					secevent.KeyOutcome: string(secevent.OutcomeFailure), secevent.KeyUserName: "alice@example.com",
					secevent.KeySourceAddress: "192.168.1.100",
				},
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := fn(ctx, testcollector.Logs("unified-ot-connector", events...)); err != nil {
			t.Fatalf("send via %s: %v", via, err)
		}
	}
	send("grpc", 300, col.SendGRPC)
	send("http", 300, col.SendHTTP)

	if got := sink.WaitFor(ids, 30*time.Second); got != len(ids) {
		t.Fatalf("received %d of %d events", got, len(ids))
	}
	received, dup := sink.Count(ids)
	if received != len(ids) || dup != 0 {
		t.Fatalf("received %d, duplicated %d of %d", received, dup, len(ids))
	}
	lr, _ := sink.Record("http-0007")
	if !lr.Timestamp().AsTime().Equal(eventTime) {
		t.Errorf("event time %v, want %v", lr.Timestamp().AsTime(), eventTime)
	}
	if lr.SeverityNumber() != plog.SeverityNumberWarn || lr.Body().Str() != "Failed login attempt for alice@example.com" {
		t.Errorf("severity/body changed: %v %q", lr.SeverityNumber(), lr.Body().Str())
	}
	if v, _ := lr.Attributes().Get(secevent.KeyUserName); v.Str() != "alice@example.com" {
		t.Errorf("user.name = %q", v.Str())
	}
	// The pipeline's alert processor adds an alert record for the burst of failed logins by one
	// account from one source (rule failed_logins): the sink holds the events plus those alerts,
	// and the exporter's own telemetry counts exactly what the sink received.
	alerts := sink.Total() - len(ids)
	if alerts != 1 {
		t.Errorf("sink holds %d records beyond the %d events, want 1 alert", alerts, len(ids))
	}
	sent, err := col.WaitMetric(float64(sink.Total()), 5*time.Second, "otelcol_exporter_sent_log_records", `exporter="otlp_http/siem"`)
	if err != nil || int(sent) != sink.Total() {
		t.Errorf("otelcol_exporter_sent_log_records = %v (%v), want %d", sent, err, sink.Total())
	}
	col.Stop(30 * time.Second)
}

// TestBrokenConfigExitsAtStartup: a broken config makes the binary exit non-zero at start-up with a
// message that names the component, the key and the problem.
func TestBrokenConfigExitsAtStartup(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		overlay string
		want    []string
	}{
		{"unknown key", nil, `yaml:exporters::cef_syslog/siem::bogus_option: 1`,
			[]string{`"cef_syslog/siem"`, "invalid keys: bogus_option"}},
		{"malformed syslog endpoint", map[string]string{"OTELCOL_SIEM_SYSLOG_TRANSPORT": "tcp", "OTELCOL_SIEM_SYSLOG_ENDPOINT": "siem.example:notaport"}, "",
			[]string{"cef_syslog/siem", "endpoint", `port "notaport" must be a number from 1 to 65535`}},
		{"missing syslog endpoint", map[string]string{"OTELCOL_SIEM_SYSLOG_TRANSPORT": "tls"}, "",
			[]string{"cef_syslog/siem", "endpoint: required"}},
		{"missing TLS file", map[string]string{"OTELCOL_SIEM_SYSLOG_TRANSPORT": "tls", "OTELCOL_SIEM_SYSLOG_ENDPOINT": "127.0.0.1:6514",
			"OTELCOL_SIEM_SYSLOG_CA_FILE": "/nonexistent/siem-ca.pem"}, "",
			[]string{`"cef_syslog/siem"`, "/nonexistent/siem-ca.pem", "no such file or directory"}},
		{"malformed OTLP export endpoint", map[string]string{"OTELCOL_SIEM_EXPORTERS": "[otlp_http/siem]"}, `yaml:exporters::otlp_http/siem::endpoint: "http://[::1"`,
			[]string{`"otlp_http/siem"`, "endpoint must be a valid URL"}},
		{"malformed receiver endpoint", nil, `yaml:receivers::otlp::protocols::grpc::endpoint: "127.0.0.1:notaport"`,
			[]string{`"otlp" receiver`, "notaport", "unknown port"}},
		{"bad alert rule", nil, `yaml:processors::alert::rules: [{id: r1, name: R, condition: "event_type=", threshold: 1, window: 1s, severity: high}]`,
			[]string{"alert", "r1", "condition"}},
		{"unknown component", map[string]string{"OTELCOL_SIEM_EXPORTERS": "[splunk_hec]"}, "",
			[]string{"splunk_hec"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			configs := []string{testcollector.RepoRoot() + "/otelcol-config.yaml"}
			if c.overlay != "" {
				configs = append(configs, c.overlay)
			}
			col, err := testcollector.StartNoWait(t, testcollector.Options{Configs: configs, Env: c.env})
			if err != nil {
				t.Fatal(err)
			}
			exited, exitErr := col.Wait(30 * time.Second)
			if !exited {
				t.Fatalf("collector still running 30 s after start with a broken config:\n%s", col.Output())
			}
			if exitErr == nil {
				t.Fatalf("collector exited 0 with a broken config:\n%s", col.Output())
			}
			out := col.Output()
			errLine := out[strings.LastIndex(out, "Error:"):]
			for _, w := range c.want {
				if !strings.Contains(errLine, w) {
					t.Errorf("error message lacks %q:\n%s", w, errLine)
				}
			}
		})
	}
}
