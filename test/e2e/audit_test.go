//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/internal/testpeers"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// auditRecord is one of the collector's audit records as rsyslog received it (CEF parsed by
// liblognorm inside the peer).
type auditRecord struct {
	action string
	at     time.Time      // CEF rt: the record's Timestamp, when it happened
	extra  map[string]any // the overflow JSON (cs6): the otsec.audit.* fields
	ext    map[string]string
}

// auditRecords returns the audit records rsyslog holds, in the order it received them.
func auditRecords(t *testing.T, rs *testpeers.Rsyslog) []auditRecord {
	t.Helper()
	var out []auditRecord
	for _, ev := range rs.Events(t) {
		if ev.CEF == nil || !strings.HasPrefix(ev.CEF.SignatureID, "audit.") {
			continue
		}
		r := auditRecord{action: strings.TrimPrefix(ev.CEF.SignatureID, "audit."), ext: ev.CEF.Extensions}
		ms, err := strconv.ParseInt(ev.CEF.Extensions["rt"], 10, 64)
		if err != nil {
			t.Fatalf("audit record without rt: %s", ev.Line)
		}
		r.at = time.UnixMilli(ms)
		if err := json.Unmarshal([]byte(ev.CEF.Extensions["cs6"]), &r.extra); err != nil {
			t.Fatalf("audit record's cs6 is not JSON (%v): %s", err, ev.Line)
		}
		if ev.CEF.Extensions["cat"] != "audit" || ev.CEF.Extensions["act"] != r.action || ev.CEF.Extensions["externalId"] == "" {
			t.Errorf("audit record without its schema fields (cat, act, externalId): %s", ev.Line)
		}
		out = append(out, r)
	}
	return out
}

func countAction(recs []auditRecord, action string, from, to time.Time) int {
	n := 0
	for _, r := range recs {
		if r.action == action && !r.at.Before(from) && r.at.Before(to) {
			n++
		}
	}
	return n
}

func indexOf(recs []auditRecord, action string, from int) int {
	for i := from; i < len(recs); i++ {
		if recs[i].action == action {
			return i
		}
	}
	return -1
}

// waitAudit waits until rsyslog holds an audit record of action after index from.
func waitAudit(t *testing.T, rs *testpeers.Rsyslog, action string, from int, timeout time.Duration) []auditRecord {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		recs := auditRecords(t, rs)
		if indexOf(recs, action, from) >= 0 {
			return recs
		}
		if time.Now().After(deadline) {
			var got []string
			for _, r := range recs {
				got = append(got, r.action)
			}
			t.Fatalf("no %s audit record within %v; received %v", action, timeout, got)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestAuditSIEMOutage: the collector's own audit records through cef_syslog to rsyslog. rsyslog is
// stopped for 10 s with unreachable_after 3 s: after it is back, destination_unreachable and then
// destination_recovered arrive, in that order, with the outage's length; heartbeats (every 1 s)
// keep their true times across the outage. Then the collector is stopped while rsyslog is down:
// its collector_stopping record waits in the persistent queue and arrives after both restart,
// before the next collector_started.
func TestAuditSIEMOutage(t *testing.T) {
	certs := testpeers.NewCerts(t)
	rs := testpeers.StartRsyslog(t, certs)
	env := map[string]string{
		"OTELCOL_SIEM_EXPORTERS":          "[cef_syslog/siem]",
		"OTELCOL_SIEM_SYSLOG_TRANSPORT":   "tcp",
		"OTELCOL_SIEM_SYSLOG_ENDPOINT":    rs.TCPAddr,
		"OTELCOL_SIEM_HEARTBEAT_INTERVAL": "1s",
		"OTELCOL_SIEM_UNREACHABLE_AFTER":  "3s",
	}
	// Retries and reconnects at most 2 s apart, so that the first delivery after the restart (which
	// ends the outage) comes soon after it: the default backoffs (up to 30 s each) would stretch the
	// measured outage by as much.
	configs := []string{testcollector.RepoRoot() + "/otelcol-config.yaml",
		"yaml:exporters::cef_syslog/siem::retry_on_failure::max_interval: 2s",
		"yaml:exporters::cef_syslog/siem::reconnect::initial_interval: 500ms",
		"yaml:exporters::cef_syslog/siem::reconnect::max_interval: 2s"}
	col := testcollector.Start(t, testcollector.Options{Audit: true, Configs: configs, Env: env})

	// collector_started first, with the version and the configuration's digest.
	recs := waitAudit(t, rs, "collector_started", 0, 20*time.Second)
	started := recs[indexOf(recs, "collector_started", 0)]
	if v, _ := started.extra["service.version"].(string); v == "" {
		t.Errorf("collector_started without service.version: %v", started.extra)
	}
	if d, _ := started.extra["otsec.audit.config_digest"].(string); !strings.HasPrefix(d, "sha256:") || len(d) != len("sha256:")+64 {
		t.Errorf("collector_started config digest %q, want sha256:<64 hex>", d)
	}

	// Heartbeats every second: 5 s of them.
	time.Sleep(5500 * time.Millisecond)
	from := started.at.Add(500 * time.Millisecond)
	if n := countAction(auditRecords(t, rs), "heartbeat", from, from.Add(5*time.Second)); n < 4 || n > 6 {
		t.Errorf("%d heartbeats in 5 s at heartbeat_interval 1s, want 4..6", n)
	}

	// The SIEM goes away for 10 s.
	before := len(auditRecords(t, rs))
	rs.Stop(t)
	down := time.Now()
	time.Sleep(10 * time.Second)
	rs.Restart(t)
	up := time.Now()
	t.Logf("rsyslog down for %v", up.Sub(down).Round(time.Millisecond))

	recs = waitAudit(t, rs, "destination_recovered", before, 90*time.Second)
	iu, ir := indexOf(recs, "destination_unreachable", before), indexOf(recs, "destination_recovered", before)
	if iu < 0 || iu > ir {
		t.Fatalf("destination_unreachable (at %d) must arrive before destination_recovered (at %d)", iu, ir)
	}
	unreach, recov := recs[iu], recs[ir]
	for _, r := range []auditRecord{unreach, recov} {
		if r.extra["otsec.audit.exporter"] != "cef_syslog/siem" {
			t.Errorf("%s for exporter %v, want cef_syslog/siem", r.action, r.extra["otsec.audit.exporter"])
		}
	}
	if unreach.ext["reason"] == "" || strings.Contains(unreach.ext["reason"], "127.0.0.1") {
		t.Errorf("destination_unreachable reason %q: want a short classification", unreach.ext["reason"])
	}
	outageMs, _ := recov.extra["otsec.audit.outage_ms"].(float64) // JSON numbers
	outage := outageMs / 1000
	// The outage runs from the first failed send (the first heartbeat after the stop) to the first
	// delivery after the restart: at most one retry interval and one reconnect hold-down (2 s each
	// here) after rsyslog is back.
	if outage < 8 || outage > 16 {
		t.Errorf("outage of %.3f s reported, rsyslog was down for %v", outage, up.Sub(down))
	}
	outageStart, err := time.Parse(time.RFC3339Nano, recov.extra["otsec.audit.outage_start"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if d := recov.at.Sub(outageStart).Seconds() - outage; d < -0.002 || d > 0.002 {
		t.Errorf("recovered at %v, outage from %v: %.3f s apart, record says %.3f s", recov.at, outageStart, recov.at.Sub(outageStart).Seconds(), outage)
	}
	if outageStart.Before(down.Add(-time.Second)) || outageStart.After(down.Add(3*time.Second)) {
		t.Errorf("outage starts at %v, rsyslog stopped at %v", outageStart, down)
	}
	if s := unreach.at.Sub(outageStart); s < 3*time.Second || s > 5*time.Second {
		t.Errorf("destination_unreachable written %v after the outage began, want 3 s (unreachable_after) + at most one look", s)
	}
	if q, _ := recov.extra["otsec.audit.records_queued"].(float64); q < 5 {
		t.Errorf("recovered: %v records queued during the outage, want at least the heartbeats (~10)", q)
	}
	// Heartbeats written while rsyslog was down were queued and arrive with their true times.
	if n := countAction(recs, "heartbeat", down.Add(time.Second), up.Add(-time.Second)); n < 6 || n > 10 {
		t.Errorf("%d heartbeats with times inside the outage (%v), want about one a second", n, up.Sub(down))
	}
	t.Logf("outage reported: %.3f s, from %v after rsyslog stopped to %v after it was back; unreachable written %v after it began",
		outage, outageStart.Sub(down).Round(time.Millisecond), recov.at.Sub(up).Round(time.Millisecond), unreach.at.Sub(outageStart).Round(time.Millisecond))

	// The collector stops while the SIEM is down: collector_stopping waits in the persistent queue.
	rs.Stop(t)
	time.Sleep(500 * time.Millisecond)
	stopAt := time.Now()
	col.Stop(30 * time.Second)
	rs.Restart(t)
	before = len(auditRecords(t, rs))
	testcollector.Start(t, testcollector.Options{Audit: true, Configs: configs, Env: env, StorageDir: col.StorageDir})
	waitAudit(t, rs, "collector_stopping", 0, 60*time.Second)
	recs = waitAudit(t, rs, "collector_started", before, 30*time.Second)
	is, i2 := indexOf(recs, "collector_stopping", 0), indexOf(recs, "collector_started", before)
	if is < before || is > i2 {
		t.Errorf("collector_stopping arrived at %d: want after the restart (from %d), before the next collector_started (%d)", is, before, i2)
	}
	stopping, second := recs[is], recs[i2]
	if stopping.at.Before(stopAt.Add(-time.Second)) || !stopping.at.Before(second.at) {
		t.Errorf("collector_stopping at %v: want at the stop (%v), before the next start (%v)", stopping.at, stopAt, second.at)
	}
	if up, _ := stopping.extra["otsec.audit.uptime_seconds"].(float64); up < stopAt.Sub(started.at).Seconds()-2 || up > stopAt.Sub(started.at).Seconds()+2 {
		t.Errorf("collector_stopping uptime %.1f s, want the first run's (%v)", up, stopAt.Sub(started.at))
	}
	// The second run listens on other ports (testcollector hands out fresh ones): its effective
	// configuration differs, and so must its digest.
	if second.extra["otsec.audit.config_digest"] == started.extra["otsec.audit.config_digest"] {
		t.Errorf("configurations with different ports, one digest: %v", second.extra["otsec.audit.config_digest"])
	}
}

// TestAuditQueueFillingAndRefused: rsyslog is down and cef_syslog's queue holds 100 records; 85
// events fill it past 80 % (queue_filling), 50 more find it full and are refused to the OTLP client
// (records_refused, with the count). The audit records about it wait for room like any record and
// reach rsyslog once it is back.
func TestAuditQueueFillingAndRefused(t *testing.T) {
	certs := testpeers.NewCerts(t)
	rs := testpeers.StartRsyslog(t, certs)
	rs.Stop(t)
	configs := []string{testcollector.RepoRoot() + "/otelcol-config.yaml",
		"yaml:receivers::siem_audit::report_interval: 1s",
		"yaml:exporters::cef_syslog/siem::sending_queue::queue_size: 100",
		"yaml:exporters::cef_syslog/siem::retry_on_failure::max_interval: 2s",
		"yaml:exporters::cef_syslog/siem::reconnect::initial_interval: 500ms",
		"yaml:exporters::cef_syslog/siem::reconnect::max_interval: 2s"}
	col := testcollector.Start(t, testcollector.Options{Audit: true, Configs: configs, Env: map[string]string{
		"OTELCOL_SIEM_EXPORTERS":          "[cef_syslog/siem]",
		"OTELCOL_SIEM_SYSLOG_TRANSPORT":   "tcp",
		"OTELCOL_SIEM_SYSLOG_ENDPOINT":    rs.TCPAddr,
		"OTELCOL_SIEM_HEARTBEAT_INTERVAL": "1s",
	}})
	sendEvents(t, col, "fill", 85)
	time.Sleep(2 * time.Second) // a look at the queue (every 0.5 s here) sees it above 80 %

	const over = 50
	events := make([]testcollector.Event, over)
	for i := range events {
		events[i] = testcollector.Event{ID: fmt.Sprintf("over-%03d", i), Time: time.Now(), Severity: plog.SeverityNumberWarn,
			Body: "Failed login attempt for carol", Attributes: map[string]any{
				secevent.KeyCategory: "authentication", secevent.KeyAction: "login", secevent.KeyOutcome: "failure",
				secevent.KeyUserName: "carol", secevent.KeySourceAddress: "10.1.2.4"}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	err := col.SendGRPC(ctx, testcollector.Logs("unified-ot-connector", events...))
	cancel()
	if err == nil {
		t.Fatal("a full queue took 50 more events")
	}
	time.Sleep(1500 * time.Millisecond) // the refusal is counted; the next look writes records_refused
	rs.Restart(t)

	waitAudit(t, rs, "records_refused", 0, 60*time.Second)
	recs := waitAudit(t, rs, "queue_filling", 0, 10*time.Second)
	fill := recs[indexOf(recs, "queue_filling", 0)]
	if pct, _ := fill.extra["otsec.audit.queue_fill_percent"].(float64); pct < 80 {
		t.Errorf("queue_filling at %v %%, want >= 80", pct)
	}
	if c, _ := fill.extra["otsec.audit.queue_capacity"].(float64); c != 100 {
		t.Errorf("queue_filling capacity %v, want 100", c)
	}
	refused := 0.0
	for _, r := range recs {
		if r.action == "records_refused" {
			if r.extra["otsec.audit.exporter"] != "cef_syslog/siem" || r.ext["reason"] != "queue_refused" {
				t.Errorf("records_refused for %v, reason %q", r.extra["otsec.audit.exporter"], r.ext["reason"])
			}
			n, _ := r.extra["otsec.audit.count"].(float64)
			refused += n
		}
	}
	// The 50 events; audit records of the receiver's own that the full queue refused are counted too.
	if refused < over {
		t.Errorf("records_refused counts %v records, want at least the %d refused events", refused, over)
	}
	t.Logf("queue_filling at %v %%; records_refused counted %v", fill.extra["otsec.audit.queue_fill_percent"], refused)
}
