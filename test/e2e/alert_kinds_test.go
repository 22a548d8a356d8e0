//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// The alert rule kinds of the site configuration (otelcol-config.yaml) on the built binary:
// ot_service_silent (kind absence, its window shortened through OTELCOL_SIEM_ABSENCE_WINDOW) and
// password_spraying (kind distinct, as shipped: 10 user names from one source in 5 minutes).

const (
	e2eAbsenceWindow = 3 * time.Second
	e2eTickInterval  = time.Second // tick_interval in otelcol-config.yaml
	// e2eTickJitter allows for the ticker firing late on a loaded machine.
	e2eTickJitter = 500 * time.Millisecond
)

// serviceLogs is one WARN operational record (it passes the severity floor) from service svc on
// host, with event.id id.
func serviceLogs(svc, host, id string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(secevent.KeyServiceName, svc)
	rl.Resource().Attributes().PutStr(secevent.KeyHostName, host)
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	now := time.Now()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(now))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(now))
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.Body().SetStr("PLC poll slower than expected")
	lr.Attributes().PutStr(secevent.KeyCategory, "operational")
	lr.Attributes().PutStr(secevent.KeyEventID, id)
	return ld
}

// ruleAlerts returns the alert records of rule the sink received.
func ruleAlerts(sink *testcollector.OTLPSink, rule string) []plog.LogRecord {
	var out []plog.LogRecord
	for _, lr := range sink.All() {
		if v, ok := lr.Attributes().Get(secevent.KeyAlertRuleID); ok && v.Str() == rule {
			out = append(out, lr)
		}
	}
	return out
}

func attrStr(lr plog.LogRecord, k string) string {
	v, ok := lr.Attributes().Get(k)
	if !ok {
		return ""
	}
	return v.AsString()
}

func alertGroup(lr plog.LogRecord, k string) string {
	g, ok := lr.Attributes().Get(secevent.KeyAlertGroup)
	if !ok {
		return ""
	}
	v, _ := g.Map().Get(k)
	return v.AsString()
}

func alertTime(t *testing.T, lr plog.LogRecord, k string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, attrStr(lr, k))
	if err != nil {
		t.Fatalf("%s: %v", k, err)
	}
	return ts
}

// waitAlerts polls until the sink holds n alerts of rule that pass keep, or timeout.
func waitAlerts(sink *testcollector.OTLPSink, rule string, n int, timeout time.Duration, keep func(plog.LogRecord) bool) []plog.LogRecord {
	deadline := time.Now().Add(timeout)
	for {
		var got []plog.LogRecord
		for _, a := range ruleAlerts(sink, rule) {
			if keep(a) {
				got = append(got, a)
			}
		}
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAlertKindAbsence: an OT service that stops sending is reported by the timer within the
// window plus one tick, with no batch to carry the alert; a service that keeps sending is not;
// when the silent one sends again a recovery alert gives the length of the silence.
func TestAlertKindAbsence(t *testing.T) {
	sink := testcollector.NewOTLPSink(t)
	col := testcollector.Start(t, testcollector.Options{Env: map[string]string{
		"OTELCOL_SIEM_EXPORTERS":            "[otlp_http/siem]",
		"OTELCOL_SIEM_OTLP_EXPORT_ENDPOINT": sink.URL,
		"OTELCOL_SIEM_ABSENCE_WINDOW":       e2eAbsenceWindow.String(),
	}})
	send := func(svc, host, id string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := col.SendGRPC(ctx, serviceLogs(svc, host, id)); err != nil {
			t.Fatal(err)
		}
	}
	isAction := func(action, svc string) func(plog.LogRecord) bool {
		return func(a plog.LogRecord) bool {
			return attrStr(a, secevent.KeyAction) == action && alertGroup(a, secevent.KeyServiceName) == svc
		}
	}

	// The PLC gateway sends once and falls silent; nothing else is sent, so no batch can carry the
	// alert: it must come from the timer.
	send("plc-gateway", "edge-01", "plc-1")
	plcLastSent := time.Now()
	absent := waitAlerts(sink, "ot_service_silent", 1, e2eAbsenceWindow+e2eTickInterval+10*time.Second, isAction("absence", "plc-gateway"))
	if len(absent) != 1 {
		t.Fatalf("%d absence alerts for plc-gateway, want 1; all alerts: %d", len(absent), len(ruleAlerts(sink, "ot_service_silent")))
	}
	a := absent[0]
	silentFrom, detected := alertTime(t, a, secevent.KeyAlertFirstSeen), alertTime(t, a, secevent.KeyAlertLastSeen)
	lag := detected.Sub(silentFrom)
	t.Logf("absence alert: silent from %s, detected %s later (window %s, tick %s), at the sink %s after the last send; body: %s",
		silentFrom.Format(time.RFC3339Nano), lag, e2eAbsenceWindow, e2eTickInterval, time.Since(plcLastSent), a.Body().Str())
	if lag < e2eAbsenceWindow || lag > e2eAbsenceWindow+e2eTickInterval+e2eTickJitter {
		t.Errorf("absence detected %s after the last record, want within [window, window + one tick] = [%s, %s]",
			lag, e2eAbsenceWindow, e2eAbsenceWindow+e2eTickInterval)
	}
	if d := silentFrom.Sub(plcLastSent); d > time.Second || d < -time.Second {
		t.Errorf("first_seen %s is not the PLC gateway's last record (sent %s)", silentFrom, plcLastSent)
	}
	if v, err := col.WaitMetric(1, 5*time.Second, "otelcol_processor_alert_timer_alerts", `processor="alert"`); err != nil || v != 1 {
		t.Errorf("otelcol_processor_alert_timer_alerts = %v (%v), want 1: the alert came from the timer", v, err)
	}
	if v, err := col.WaitMetric(1, 5*time.Second, "otelcol_processor_alert_groups_silent", `processor="alert"`, `rule="ot_service_silent"`); err != nil || v != 1 {
		t.Errorf("otelcol_processor_alert_groups_silent = %v (%v), want 1", v, err)
	}

	// The historian keeps sending (every 500 ms) for twice the window: never silent.
	for i := 0; i < int(4*e2eAbsenceWindow/time.Second); i++ {
		send("historian", "edge-02", fmt.Sprintf("hist-%d", i))
		time.Sleep(500 * time.Millisecond)
	}
	if n := len(waitAlerts(sink, "ot_service_silent", 1, 0, isAction("absence", "historian"))); n != 0 {
		t.Errorf("%d absence alerts for the historian, which kept sending", n)
	}
	if n := len(ruleAlerts(sink, "ot_service_silent")); n != 1 {
		t.Errorf("%d ot_service_silent alerts, want exactly the PLC gateway's one (one per silence)", n)
	}
	if got := alertGroup(a, secevent.KeyHostName); got != "edge-01" {
		t.Errorf("group host.name = %q, want edge-01", got)
	}
	if got := attrStr(a, secevent.KeyCategory); got != "alert" {
		t.Errorf("event.category = %q, want alert", got)
	}

	send("plc-gateway", "edge-01", "plc-2")
	back := waitAlerts(sink, "ot_service_silent", 1, 10*time.Second, isAction("absence_recovered", "plc-gateway"))
	if len(back) != 1 {
		t.Fatalf("%d recovery alerts for plc-gateway, want 1", len(back))
	}
	r := back[0]
	silence := alertTime(t, r, secevent.KeyAlertLastSeen).Sub(alertTime(t, r, secevent.KeyAlertFirstSeen))
	t.Logf("recovery alert after %s of silence: %s", silence, r.Body().Str())
	if !alertTime(t, r, secevent.KeyAlertFirstSeen).Equal(silentFrom) {
		t.Errorf("recovery first_seen %s, want the silence start %s", attrStr(r, secevent.KeyAlertFirstSeen), silentFrom)
	}
	if silence < 2*e2eAbsenceWindow {
		t.Errorf("silence %s, want at least %s", silence, 2*e2eAbsenceWindow)
	}
	if got := attrStr(r, secevent.KeyAlertSeverity); got != "low" {
		t.Errorf("recovery severity %q, want low", got)
	}
	col.Stop(30 * time.Second)
}

// TestAlertKindDistinct: one source trying 15 user names (a few twice) within a minute is one
// password_spraying alert; the failed_logins rule (5 per account and source) does not fire.
func TestAlertKindDistinct(t *testing.T) {
	sink := testcollector.NewOTLPSink(t)
	col := testcollector.Start(t, testcollector.Options{Env: map[string]string{
		"OTELCOL_SIEM_EXPORTERS":            "[otlp_http/siem]",
		"OTELCOL_SIEM_OTLP_EXPORT_ENDPOINT": sink.URL,
	}})
	start := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	var ids []string
	attempt := func(i int, user, src string) testcollector.Event {
		id := fmt.Sprintf("spray-%d", i)
		ids = append(ids, id)
		return testcollector.Event{
			ID: id, Time: start.Add(time.Duration(i) * 2 * time.Second), Severity: plog.SeverityNumberWarn,
			Body: "Failed login attempt for " + user,
			Attributes: map[string]any{
				secevent.KeyCategory: "authentication", secevent.KeyAction: "login", secevent.KeyOutcome: "failure",
				secevent.KeyUserName: user, secevent.KeySourceAddress: src,
			},
		}
	}
	// Three batches, as a spraying tool's attempts would arrive.
	for b := range 3 {
		var events []testcollector.Event
		for i := b * 6; i < b*6+6; i++ {
			user := fmt.Sprintf("operator%02d@plant.example", i%15) // 15 names, 3 tried twice
			events = append(events, attempt(i, user, "198.51.100.23"))
		}
		// Another source trying 3 names stays below the threshold.
		events = append(events, attempt(100+b, fmt.Sprintf("engineer%d@plant.example", b), "198.51.100.99"))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := col.SendGRPC(ctx, testcollector.Logs("unified-ot-connector", events...)); err != nil {
			cancel()
			t.Fatal(err)
		}
		cancel()
	}
	if got := sink.WaitFor(ids, 15*time.Second); got != len(ids) {
		t.Fatalf("%d of %d failed logins arrived", got, len(ids))
	}
	waitAlerts(sink, "password_spraying", 1, 5*time.Second, func(plog.LogRecord) bool { return true })
	time.Sleep(time.Second) // a second alert would travel with the records or on the next tick
	alerts := ruleAlerts(sink, "password_spraying")
	if len(alerts) != 1 {
		t.Fatalf("%d password_spraying alerts, want exactly 1", len(alerts))
	}
	a := alerts[0]
	t.Logf("distinct alert: %s", a.Body().Str())
	if got := attrStr(a, secevent.KeyAction); got != "distinct" {
		t.Errorf("event.action %q, want distinct", got)
	}
	if got := attrStr(a, secevent.KeyAlertCount); got != "10" {
		t.Errorf("otsec.alert.count %s, want 10", got)
	}
	if got := alertGroup(a, secevent.KeySourceAddress); got != "198.51.100.23" {
		t.Errorf("group source.address %q, want 198.51.100.23", got)
	}
	if got := attrStr(a, secevent.KeyAlertSeverity); got != "high" {
		t.Errorf("severity %q, want high", got)
	}
	if n := len(ruleAlerts(sink, "failed_logins")); n != 0 {
		t.Errorf("%d failed_logins alerts: no account failed 5 times", n)
	}
	col.Stop(30 * time.Second)
}
