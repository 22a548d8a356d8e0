//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/internal/testpeers"
)

// TestMakeDemo runs scripts/demo.sh (what `make demo` runs after building) on free ports: the seed's
// story reaches the default destination as RFC 5424 + CEF lines that liblognorm parses, the four
// alerts it trips are among them, and the script stops what it started.
func TestMakeDemo(t *testing.T) {
	root := testcollector.RepoRoot()
	demoBin := os.Getenv("SECEVENT_DEMO_BIN")
	if demoBin == "" {
		demoBin = filepath.Join(root, "_build", "secevent-demo")
	}
	if _, err := os.Stat(demoBin); err != nil {
		t.Fatalf("%s missing (%v): run `make _build/secevent-demo` or `make e2e-test`", demoBin, err)
	}
	data := t.TempDir()
	health := fmt.Sprintf("127.0.0.1:%d", testcollector.FreePort(t))
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "demo.sh"))
	cmd.Env = append(os.Environ(),
		"OTELCOL_SIEM_BIN="+testcollector.Binary(t),
		"SECEVENT_DEMO_BIN="+demoBin,
		"DEMO_DATA_DIR="+data,
		fmt.Sprintf("OTELCOL_SIEM_OTLP_GRPC_ENDPOINT=127.0.0.1:%d", testcollector.FreePort(t)),
		fmt.Sprintf("OTELCOL_SIEM_OTLP_HTTP_ENDPOINT=127.0.0.1:%d", testcollector.FreePort(t)),
		"OTELCOL_SIEM_HEALTH_ENDPOINT="+health,
		fmt.Sprintf("OTELCOL_SIEM_METRICS_PORT=%d", testcollector.FreePort(t)),
	)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("demo did not finish in 2 minutes:\n%s", out)
	}
	if err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out)
	}
	text := string(out)
	if !strings.Contains(text, "delivered 15 of 15 events") {
		t.Errorf("the emitter did not deliver the seed's 15 events:\n%s", text)
	}
	var cefLines, auditActions []string
	for _, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "CEF:0|"); i >= 0 {
			cefLines = append(cefLines, line[i:])
		}
	}
	// 15 events less the discovery scan (INFO, operational: below the severity floor) + 4 alerts,
	// and the collector's own audit records: started, then stopping (no heartbeat in so short a run).
	events := 0
	for _, l := range cefLines {
		if f := strings.SplitN(l, "|", 6); len(f) == 6 && strings.HasPrefix(f[4], "audit.") {
			auditActions = append(auditActions, strings.TrimPrefix(f[4], "audit."))
		} else {
			events++
		}
	}
	if events != 18 {
		t.Errorf("demo printed %d CEF lines of events and alerts, want 18:\n%s", events, text)
	}
	if want := []string{"collector_started", "collector_stopping"}; !slices.Equal(auditActions, want) {
		t.Errorf("demo printed audit records %v, want %v", auditActions, want)
	}
	alerts := map[string]bool{}
	for i, r := range testpeers.CEFOracle(t, cefLines) {
		if !r.Parsed() {
			t.Errorf("liblognorm cannot parse demo line %d: %s", i, cefLines[i])
			continue
		}
		if r.CEF.Extensions["cat"] == "alert" {
			alerts[r.CEF.SignatureID] = true
		}
	}
	for _, rule := range []string{"failed_logins", "unauthorized_access", "configuration_change", "circuit_breaker_open"} {
		if !alerts[rule] {
			t.Errorf("alert %s missing from the demo output", rule)
		}
	}
	// The script stopped the collector it started: its health endpoint no longer answers.
	if resp, err := http.Get("http://" + health + "/"); err == nil {
		resp.Body.Close()
		t.Errorf("the demo's collector still answers on %s after the demo ended", health)
	}
}
