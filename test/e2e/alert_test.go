//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// TestAlertStateSurvivesRestart: three failed logins, a collector restart on the same storage,
// two more failed logins: the failed_logins rule (5 in 300 s per account and source) fires, because
// the window was kept in queue_storage; a restart does not reset a brute-force counter.
func TestAlertStateSurvivesRestart(t *testing.T) {
	sink := testcollector.NewOTLPSink(t)
	env := map[string]string{"OTELCOL_SIEM_EXPORTERS": "[otlp_http/siem]", "OTELCOL_SIEM_OTLP_EXPORT_ENDPOINT": sink.URL}
	start := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	failures := func(col *testcollector.Collector, from, to int) {
		var events []testcollector.Event
		for i := from; i < to; i++ {
			events = append(events, testcollector.Event{
				ID: fmt.Sprintf("restart-%d", i), Time: start.Add(time.Duration(i) * time.Second), Severity: plog.SeverityNumberWarn,
				Body: "Failed login attempt for mallory",
				Attributes: map[string]any{
					secevent.KeyCategory: "authentication", secevent.KeyAction: "login", secevent.KeyOutcome: "failure",
					secevent.KeyUserName: "mallory", secevent.KeySourceAddress: "203.0.113.9",
				},
			})
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := col.SendGRPC(ctx, testcollector.Logs("unified-ot-connector", events...)); err != nil {
			t.Fatal(err)
		}
	}
	alerts := func() int {
		n := 0
		for _, id := range sink.IDs() {
			lr, _ := sink.Record(id)
			if v, ok := lr.Attributes().Get(secevent.KeyAlertRuleID); ok && v.Str() == "failed_logins" {
				n++
			}
		}
		return n
	}

	col := testcollector.Start(t, testcollector.Options{Env: env})
	failures(col, 0, 3)
	if got := sink.WaitFor([]string{"restart-0", "restart-1", "restart-2"}, 10*time.Second); got != 3 {
		t.Fatalf("first 3 failures: %d arrived", got)
	}
	col.Stop(30 * time.Second)
	if n := alerts(); n != 0 {
		t.Fatalf("%d alerts after 3 failures, want 0", n)
	}

	col2 := testcollector.Start(t, testcollector.Options{Env: env, StorageDir: col.StorageDir})
	failures(col2, 3, 5)
	deadline := time.Now().Add(15 * time.Second)
	for alerts() == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := alerts(); n != 1 {
		t.Fatalf("%d failed_logins alerts after 3 + restart + 2 failures, want 1", n)
	}
	col2.Stop(30 * time.Second)
}
