//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/unified-ot/otelcol-siem/internal/hectest"
	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/internal/testpeers"
)

// waitAcross polls until every id arrived somewhere or timeout passes.
func waitAcross(t *testing.T, ids []string, timeout time.Duration, peers ...*testpeers.Rsyslog) ([]int, zlCounts) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		per, c := countAcross(t, ids, peers...)
		if c.Lost == 0 || time.Now().After(deadline) {
			return per, c
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startRsyslogPair starts two real rsyslog receivers, a and b, and the binary sending cef_syslog
// over TLS to both in the given balance mode; sendRounds sends rounds of 50 events.
func startRsyslogPair(t *testing.T, mode string, holdDown time.Duration) (col *testcollector.Collector, a, b *testpeers.Rsyslog, sendRounds func(prefix string, rounds int) []string) {
	t.Helper()
	certs := testpeers.NewCerts(t)
	a, b = testpeers.StartRsyslog(t, certs), testpeers.StartRsyslog(t, certs)
	const round = 50
	configs := []string{testcollector.RepoRoot() + "/otelcol-config.yaml",
		fmt.Sprintf("yaml:exporters::cef_syslog/siem::endpoints: [%s, %s]", a.TLSAddr, b.TLSAddr),
		fmt.Sprintf("yaml:exporters::cef_syslog/siem::balance: {mode: %s, hold_down: %s}", mode, holdDown),
		"yaml:exporters::cef_syslog/siem::reconnect: {initial_interval: 200ms, max_interval: 1s}",
		"yaml:exporters::cef_syslog/siem::retry_on_failure: {enabled: true, initial_interval: 200ms, max_interval: 1s, max_elapsed_time: 0}",
	}
	col = testcollector.Start(t, testcollector.Options{Configs: configs, Env: map[string]string{
		"OTELCOL_SIEM_EXPORTERS":        "[cef_syslog/siem]",
		"OTELCOL_SIEM_SYSLOG_TRANSPORT": "tls",
		"OTELCOL_SIEM_SYSLOG_ENDPOINT":  "",
		"OTELCOL_SIEM_SYSLOG_CA_FILE":   certs.CAFile,
	}})
	sendRounds = func(prefix string, rounds int) []string {
		var ids []string
		for r := range rounds {
			ids = append(ids, sendEvents(t, col, fmt.Sprintf("%s-r%d", prefix, r), round)...)
			time.Sleep(300 * time.Millisecond)
		}
		return ids
	}
	return col, a, b, sendRounds
}

// stopMidStream sends 8 rounds and stops A while they go out: every event must arrive, B taking
// some. It writes the reliability row and returns when A was stopped.
func stopMidStream(t *testing.T, sendRounds func(string, int) []string, a, b *testpeers.Rsyslog, prefix, row string, holdDown time.Duration) time.Time {
	t.Helper()
	done := make(chan []string)
	go func() { done <- sendRounds(prefix, 8) }()
	time.Sleep(1200 * time.Millisecond)
	a.Stop(t)
	stoppedAt := time.Now()
	ids := <-done
	per, c := waitAcross(t, ids, 60*time.Second, a, b)
	zlRow(t, row, c, fmt.Sprintf("at A %d, at B %d; hold_down %s", per[0], per[1], holdDown))
	if c.Lost != 0 || per[1] == 0 {
		t.Fatalf("A stopped: %s, A %d, B %d; lost e.g. %v", c, per[0], per[1], c.Missing)
	}
	return stoppedAt
}

// TestFailoverBetweenTwoRsyslogs (issue 17): cef_syslog with two real rsyslog receivers over TLS in
// failover. Everything goes to A; A is stopped mid-stream and the flow moves to B with nothing
// lost; A comes back and, after the hold-down, the flow returns to it; both down, the events stay
// queued and reach B when it comes back.
func TestFailoverBetweenTwoRsyslogs(t *testing.T) {
	const holdDown = 3 * time.Second
	col, a, b, sendRounds := startRsyslogPair(t, "failover", holdDown)

	// 1. Both up: A takes everything.
	ids1 := sendRounds("fo1", 4)
	per, c := waitAcross(t, ids1, 30*time.Second, a, b)
	if c.Lost != 0 || per[1] != 0 {
		t.Fatalf("both up: %s, A %d, B %d; want all at A", c, per[0], per[1])
	}

	// 2. A stopped mid-stream: the flow moves to B, nothing lost.
	stoppedAt := stopMidStream(t, sendRounds, a, b, "fo2", "9. cef_syslog failover between two rsyslog (TLS): A stopped mid-stream", holdDown)

	// 3. A back: within the hold-down the flow stays on B, after it the flow returns to A.
	a.Restart(t)
	time.Sleep(time.Until(stoppedAt.Add(holdDown + time.Second)))
	ids3 := sendRounds("fo3", 4)
	per, c = waitAcross(t, ids3, 30*time.Second, a, b)
	zlRow(t, "9. cef_syslog failover: A back after the hold-down", c, fmt.Sprintf("at A %d, at B %d", per[0], per[1]))
	if c.Lost != 0 || per[0] != len(ids3) {
		t.Fatalf("A back: %s, A %d, B %d; want all at A", c, per[0], per[1])
	}

	// 4. Both down: queued; B back: everything arrives.
	a.Stop(t)
	b.Stop(t)
	ids4 := sendRounds("fo4", 4)
	b.Restart(t)
	per, c = waitAcross(t, ids4, 60*time.Second, a, b)
	zlRow(t, "9. cef_syslog failover: both rsyslog down, then B back", c, fmt.Sprintf("at A %d, at B %d", per[0], per[1]))
	if c.Lost != 0 {
		t.Fatalf("both down: %s; lost e.g. %v", c, c.Missing)
	}
	if !waitLog(col, 5*time.Second, "syslog failover: events now go to another endpoint") {
		t.Error("no log line for the switch")
	}
	sw, err := col.Metric("otelcol_exporter_cef_syslog_endpoint_switches", `endpoint="`+b.TLSAddr+`"`)
	if err != nil || sw < 1 {
		t.Errorf("endpoint_switches{endpoint=B} = %v (%v), want >= 1", sw, err)
	}
	last, err := col.Metric("otelcol_exporter_cef_syslog_endpoint_last_switch_timestamp_seconds", `endpoint="`+b.TLSAddr+`"`)
	if err != nil || last < float64(stoppedAt.Unix()) {
		t.Errorf("endpoint_last_switch_timestamp_seconds{endpoint=B} = %v (%v), want >= %d (A stopped)", last, err, stoppedAt.Unix())
	}
	col.Stop(30 * time.Second)
}

// TestRoundRobinBetweenTwoRsyslogs (issue 17): cef_syslog with two real rsyslog receivers over TLS
// in round robin. Both share the flow; A is stopped mid-stream and B takes everything with nothing
// lost; A comes back and, after the hold-down, the two share the flow again.
func TestRoundRobinBetweenTwoRsyslogs(t *testing.T) {
	const holdDown = 3 * time.Second
	col, a, b, sendRounds := startRsyslogPair(t, "round_robin", holdDown)

	// 1. Both up: both take a share.
	ids1 := sendRounds("rr1", 6)
	per, c := waitAcross(t, ids1, 30*time.Second, a, b)
	zlRow(t, "9. cef_syslog round robin between two rsyslog (TLS): both up", c, fmt.Sprintf("at A %d, at B %d", per[0], per[1]))
	if c.Lost != 0 || per[0] == 0 || per[1] == 0 {
		t.Fatalf("both up: %s, A %d, B %d; want both used", c, per[0], per[1])
	}

	// 2. A stopped mid-stream: B takes the flow, nothing lost.
	stoppedAt := stopMidStream(t, sendRounds, a, b, "rr2", "9. cef_syslog round robin: A stopped mid-stream", holdDown)
	failures, err := col.Metric("otelcol_exporter_cef_syslog_endpoint_failures", `endpoint="`+a.TLSAddr+`"`)
	if err != nil || failures < 1 {
		t.Errorf("endpoint_failures{endpoint=A} = %v (%v), want >= 1", failures, err)
	}

	// 3. A back, after its hold-down: shared again.
	a.Restart(t)
	time.Sleep(time.Until(stoppedAt.Add(holdDown + time.Second)))
	ids3 := sendRounds("rr3", 6)
	per, c = waitAcross(t, ids3, 30*time.Second, a, b)
	zlRow(t, "9. cef_syslog round robin: A back after the hold-down", c, fmt.Sprintf("at A %d, at B %d", per[0], per[1]))
	if c.Lost != 0 || per[0] == 0 || per[1] == 0 {
		t.Fatalf("A back: %s, A %d, B %d; want both used again", c, per[0], per[1])
	}
	up, err := col.Metric("otelcol_exporter_cef_syslog_endpoint_up", `endpoint="`+a.TLSAddr+`"`)
	if err != nil || up != 1 {
		t.Errorf("endpoint_up{endpoint=A} = %v (%v), want 1", up, err)
	}
	col.Stop(30 * time.Second)
}

// startHECPair starts the binary sending to two HEC emulators through splunk_hec_sec's endpoints.
func startHECPair(t *testing.T, a, b *hectest.Emulator, mode string, holdDown time.Duration, env map[string]string) *testcollector.Collector {
	t.Helper()
	configs := []string{testcollector.RepoRoot() + "/otelcol-config.yaml",
		`yaml:exporters::splunk_hec_sec::endpoint: ""`,
		fmt.Sprintf("yaml:exporters::splunk_hec_sec::endpoints: [%s, %s]", a.URL(), b.URL()),
		fmt.Sprintf("yaml:exporters::splunk_hec_sec::balance: {mode: %s, hold_down: %s}", mode, holdDown),
	}
	e := map[string]string{"OTELCOL_SIEM_EXPORTERS": "[splunk_hec_sec]", "OTELCOL_SIEM_HEC_TOKEN": hecRightToken}
	for k, v := range env {
		e[k] = v
	}
	return testcollector.Start(t, testcollector.Options{Configs: configs, Env: e})
}

// union adds up what the emulators received of ids (the events of one phase of a test).
func union(t *testing.T, ids []string, ems ...*hectest.Emulator) map[string]int {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	got := map[string]int{}
	for _, em := range ems {
		for id, n := range hecIDs(t, em) {
			if want[id] {
				got[id] += n
			}
		}
	}
	return got
}

func waitUnion(t *testing.T, ids []string, timeout time.Duration, ems ...*hectest.Emulator) lossTally {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := countLoss(ids, union(t, ids, ems...))
		if r.lost == 0 || time.Now().After(deadline) {
			return r
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSplunkHECFailoverOn503Storm (issue 17): splunk_hec_sec with two HEC emulators in failover.
// A answers 503 to everything: the flow moves to B, nothing lost or duplicated; A healthy again
// and past the hold-down, the flow returns to it.
func TestSplunkHECFailoverOn503Storm(t *testing.T) {
	const holdDown = 3 * time.Second
	a := newHECEmulator(t, hectest.Config{Token: hecRightToken})
	b := newHECEmulator(t, hectest.Config{Token: hecRightToken})
	col := startHECPair(t, a, b, "failover", holdDown, nil)

	ids1 := sendUniqueFailedLogins(t, col, "hecfo1", 0, 500)
	if r := waitHEC(t, a, ids1, 30*time.Second); r.lost != 0 || len(hecIDs(t, b)) != 0 {
		t.Fatalf("both up: A lost %d, B got %d; want all at A", r.lost, len(hecIDs(t, b)))
	}
	busy := hectest.FaultBusy
	a.FailAll(&busy)
	stormAt := time.Now()
	ids2 := sendUniqueFailedLogins(t, col, "hecfo2", 0, 1000)
	r := waitUnion(t, ids2, 45*time.Second, a, b)
	reportLoss(t, "HEC failover between two endpoints: A in a 503 storm", r,
		fmt.Sprintf("at B %d of %d; hold_down %s", countLoss(ids2, hecIDs(t, b)).received, len(ids2), holdDown))
	if r.dup != 0 {
		t.Errorf("%d duplicates, want 0: a 503 accepted nothing", r.dup)
	}
	a.FailAll(nil)
	time.Sleep(time.Until(stormAt.Add(holdDown + time.Second)))
	ids3 := sendUniqueFailedLogins(t, col, "hecfo3", 0, 500)
	r = waitUnion(t, ids3, 30*time.Second, a, b)
	atA := countLoss(ids3, hecIDs(t, a)).received
	reportLoss(t, "HEC failover: A healthy again, after the hold-down", r, fmt.Sprintf("at A %d of %d", atA, len(ids3)))
	if atA != len(ids3) {
		t.Errorf("after the hold-down A got %d of %d", atA, len(ids3))
	}
	sw, err := col.Metric("otelcol_exporter_splunk_hec_sec_endpoint_switches", `endpoint="`+b.URL()+`"`)
	if err != nil || sw < 1 {
		t.Errorf("endpoint_switches{endpoint=B} = %v (%v), want >= 1", sw, err)
	}
}

// TestSplunkHECRoundRobinAckLoss (issue 17): two HEC emulators with indexer acknowledgement in
// round robin; A loses three acks. Every event arrives; the batches of the lost acks are resent
// (duplicates, counted), none lost.
func TestSplunkHECRoundRobinAckLoss(t *testing.T) {
	a := newHECEmulator(t, hectest.Config{Token: hecRightToken, AckEnabled: true})
	b := newHECEmulator(t, hectest.Config{Token: hecRightToken, AckEnabled: true})
	a.LoseAcks(3, false)
	col := startHECPair(t, a, b, "round_robin", 3*time.Second, map[string]string{
		"OTELCOL_SIEM_HEC_ACK": "true", "OTELCOL_SIEM_HEC_ACK_POLL_INTERVAL": "200ms", "OTELCOL_SIEM_HEC_ACK_TIMEOUT": "2s",
	})
	var ids []string
	for i := range 10 {
		ids = append(ids, sendUniqueFailedLogins(t, col, "hecrr", i*100, 100)...)
		time.Sleep(300 * time.Millisecond)
	}
	timeouts := metricReaches(t, col, 3, 30*time.Second, metricHECAckTimeouts)
	// Counted once the queue is empty: the resent batches have arrived and been acknowledged.
	if v, err := col.WaitMetric(0, 30*time.Second, metricQueueSize, hecExporterLabel); err != nil || v != 0 {
		t.Errorf("queue size = %v (%v), want 0", v, err)
	}
	r := waitUnion(t, ids, 30*time.Second, a, b)
	reportLoss(t, "HEC round robin over two endpoints with acknowledgement, 3 acks lost at A", r,
		fmt.Sprintf("at A %d, at B %d; %.0f ack timeouts, each resending its batch", countLoss(ids, hecIDs(t, a)).received,
			countLoss(ids, hecIDs(t, b)).received, timeouts))
	if countLoss(ids, hecIDs(t, a)).received == 0 || countLoss(ids, hecIDs(t, b)).received == 0 {
		t.Error("round robin: both endpoints should get batches")
	}
	if r.maxCopies > 4 {
		t.Errorf("an event arrived %d times; each lost ack costs one resend (3 lost)", r.maxCopies)
	}
}
