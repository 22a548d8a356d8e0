//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// sendEvents sends n events with ids prefix-00000.. over OTLP/gRPC in batches of 500.
func sendEvents(t *testing.T, col *testcollector.Collector, prefix string, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for start := 0; start < n; start += 500 {
		end := min(start+500, n)
		events := make([]testcollector.Event, 0, end-start)
		for i := start; i < end; i++ {
			id := fmt.Sprintf("%s-%05d", prefix, i)
			ids = append(ids, id)
			events = append(events, testcollector.Event{
				ID: id, Time: time.Now(), Severity: plog.SeverityNumberWarn, Body: "Failed login attempt for bob",
				Attributes: map[string]any{
					secevent.KeyCategory: "authentication", secevent.KeyAction: "login", secevent.KeyOutcome: "failure",
					secevent.KeyUserName: "bob", secevent.KeySourceAddress: "10.1.2.3",
				},
			})
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := col.SendGRPC(ctx, testcollector.Logs("unified-ot-connector", events...))
		cancel()
		if err != nil {
			t.Fatalf("send %s batch at %d: %v", prefix, start, err)
		}
	}
	return ids
}

// TestQueueSurvivesCollectorStopWhileSIEMDown: the SIEM is down; the collector accepts 10 000 events
// into its persistent queue and is then stopped (SIGKILL, or a graceful SIGTERM: contrib issue
// #15677 reported that exporterhelper drained and deleted queued items on shutdown). Restarted on
// the same storage with the SIEM up, it must deliver every event.
func TestQueueSurvivesCollectorStopWhileSIEMDown(t *testing.T) {
	for _, stop := range []string{"sigkill", "sigterm"} {
		t.Run(stop, func(t *testing.T) {
			const n = 10000
			siemAddr := fmt.Sprintf("127.0.0.1:%d", testcollector.FreePort(t)) // nothing listens yet
			env := map[string]string{"OTELCOL_SIEM_EXPORTERS": "[otlp_http/siem]", "OTELCOL_SIEM_OTLP_EXPORT_ENDPOINT": "http://" + siemAddr}
			col := testcollector.Start(t, testcollector.Options{Env: env})
			ids := sendEvents(t, col, stop, n)
			// n events plus one alert (rule failed_logins) for the burst of failures by one account.
			queued, err := col.WaitMetric(n+1, 20*time.Second, "otelcol_exporter_queue_size", `exporter="otlp_http/siem"`)
			if err != nil || queued != n+1 {
				t.Fatalf("queue holds %v records (%v), want %d events + 1 alert", queued, err, n)
			}
			if stop == "sigkill" {
				col.Kill()
			} else {
				col.Stop(60 * time.Second)
			}

			sink := testcollector.NewOTLPSinkAt(t, siemAddr)
			testcollector.Start(t, testcollector.Options{Env: env, StorageDir: col.StorageDir})
			got := sink.WaitFor(ids, 60*time.Second)
			received, dup := sink.Count(ids)
			t.Logf("%s while SIEM down: sent %d, received %d, lost %d, duplicated %d", stop, n, received, n-received, dup)
			recordReliability(t, "3. collector "+strings.ToUpper(stop)+" while the SIEM (OTLP/HTTP) is down, 10 000 queued, restart with SIEM up",
				n, received, n-received, dup, "otlp_http/siem; persistent queue on queue_storage")
			if got != n {
				t.Fatalf("lost %d of %d queued events after %s and restart", n-got, n, stop)
			}
		})
	}
}
