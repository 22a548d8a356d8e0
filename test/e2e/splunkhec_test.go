//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/hectest"
	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// The HEC zero-loss scenarios (issue 4's "Tests and done when", issue 8's scenarios 1, 2, 3 and 5
// for HEC): the ocb-built binary with the site config (otelcol-config.yaml, splunk_hec_sec selected
// through OTELCOL_SIEM_EXPORTERS) against the project's HEC protocol emulator (internal/hectest, not
// Splunk). Every scenario sends events with unique event.id values and counts at the emulator what
// arrived, what was lost and what was duplicated.

const (
	hecExporterLabel = `exporter="splunk_hec_sec"`
	// Metric names as the collector's Prometheus endpoint exposes them: exporterhelper's queue size
	// is labelled by exporter; the exporter's own counters (README) carry no exporter label and no
	// _total suffix.
	metricQueueSize      = "otelcol_exporter_queue_size"
	metricHECAuthFail    = "otelcol_exporter_splunk_hec_sec_auth_failures"
	metricHECAckTimeouts = "otelcol_exporter_splunk_hec_sec_ack_timeouts"
	metricHECAcked       = "otelcol_exporter_splunk_hec_sec_events_acked"
	metricHECRequests    = "otelcol_exporter_splunk_hec_sec_requests"
	// hecRightToken and hecWrongToken are distinctive so that a test can prove neither is logged.
	hecRightToken = "e2e-hec-right-7f3a9c1d"
	hecWrongToken = "e2e-hec-wrong-52be04aa"
)

// uniqueFailedLogins builds n failed logins with ids prefix-<from>.., each for its own account, so
// that the failed_logins alert rule (5 per account and source) never fires and every record at the
// SIEM is one of ours.
// sourceAddress gives event i its own source, so that no alert rule of the site config fires on the
// delivery tests' traffic (many accounts failing from one source is password spraying): these tests
// count exactly the events they sent, and the alert tests check alerts.
func sourceAddress(i int) string {
	return fmt.Sprintf("10.%d.%d.%d", 20+i/62500, i/250%250, i%250+1)
}

func uniqueFailedLogins(prefix string, from, n int) []testcollector.Event {
	events := make([]testcollector.Event, 0, n)
	now := time.Now()
	for i := from; i < from+n; i++ {
		id := fmt.Sprintf("%s-%05d", prefix, i)
		events = append(events, testcollector.Event{
			ID: id, Time: now, Severity: plog.SeverityNumberWarn, Body: "Failed login attempt for " + id,
			Attributes: map[string]any{
				secevent.KeyCategory: "authentication", secevent.KeyAction: "login", secevent.KeyOutcome: "failure",
				secevent.KeyUserName: "user-" + id, secevent.KeySourceAddress: sourceAddress(i),
			},
		})
	}
	return events
}

// sendUniqueFailedLogins sends n unique events (ids prefix-<from>..) over OTLP/gRPC in calls of at
// most 500 and returns their ids.
func sendUniqueFailedLogins(t *testing.T, col *testcollector.Collector, prefix string, from, n int) []string {
	t.Helper()
	var ids []string
	for start := from; start < from+n; start += 500 {
		events := uniqueFailedLogins(prefix, start, min(500, from+n-start))
		for _, e := range events {
			ids = append(ids, e.ID)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err := col.SendGRPC(ctx, testcollector.Logs("unified-ot-connector", events...))
		cancel()
		if err != nil {
			t.Fatalf("send %s at %d: %v", prefix, start, err)
		}
	}
	return ids
}

// lossTally is, for the sent ids, how many were received at least once, how many extra copies
// arrived, the largest number of copies of one id, and how many received ids were never sent.
type lossTally struct {
	sent, received, lost, dup, maxCopies, unexpected int
}

func countLoss(sent []string, got map[string]int) lossTally {
	r := lossTally{sent: len(sent)}
	want := make(map[string]bool, len(sent))
	for _, id := range sent {
		want[id] = true
		n := got[id]
		if n > 0 {
			r.received++
			r.dup += n - 1
		}
		r.maxCopies = max(r.maxCopies, n)
	}
	r.lost = r.sent - r.received
	for id := range got {
		if !want[id] {
			r.unexpected++
		}
	}
	return r
}

// hecIDs counts the emulator's accepted events by event.id (the formatter's JSON object carries it).
func hecIDs(t *testing.T, em *hectest.Emulator) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, ev := range em.Events() {
		var obj struct {
			ID string `json:"event.id"`
		}
		if err := json.Unmarshal(ev.Event, &obj); err != nil {
			t.Fatalf("emulator holds an event that is not the formatter's JSON object: %v: %.200s", err, ev.Event)
		}
		got[obj.ID]++
	}
	return got
}

// waitHEC waits until every id arrived at the emulator or timeout passes, and returns the tally.
func waitHEC(t *testing.T, em *hectest.Emulator, ids []string, timeout time.Duration) lossTally {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := countLoss(ids, hecIDs(t, em))
		if r.lost == 0 || time.Now().After(deadline) {
			return r
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// pollUntil polls cond every 100 ms until it holds or timeout passes; it fails the test with what.
func pollUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// metricReaches waits until the collector's metric reaches want and returns the last value read; on
// timeout it fails the test, quoting the metric names the endpoint exposes.
func metricReaches(t *testing.T, col *testcollector.Collector, want float64, timeout time.Duration, name string, labels ...string) float64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v, err := col.Metric(name, labels...)
		if err == nil && v >= want {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("metric %s%v = %v (err %v), want >= %v", name, labels, v, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// hecAnswered counts the emulator's answers to event requests with the given HTTP status, and the
// events it accepted in 200 answers.
func hecAnswered(em *hectest.Emulator, status int) (requests, events int) {
	for _, r := range em.Requests() {
		if r.Path != hectest.PathEvent || r.Status != status {
			continue
		}
		requests++
		events += r.Events
	}
	return requests, events
}

// startHECCollector starts the binary with the site config, sending to em through splunk_hec_sec.
func startHECCollector(t *testing.T, em *hectest.Emulator, token, storage string, extra map[string]string) *testcollector.Collector {
	t.Helper()
	env := map[string]string{
		"OTELCOL_SIEM_EXPORTERS":    "[splunk_hec_sec]",
		"OTELCOL_SIEM_HEC_ENDPOINT": em.URL(),
		"OTELCOL_SIEM_HEC_TOKEN":    token,
	}
	for k, v := range extra {
		env[k] = v
	}
	return testcollector.Start(t, testcollector.Options{Env: env, StorageDir: storage})
}

// newHECEmulator starts a HEC protocol emulator, closed at the end of the test.
func newHECEmulator(t *testing.T, cfg hectest.Config) *hectest.Emulator {
	t.Helper()
	em, err := hectest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(em.Close)
	return em
}

// reportLoss logs the scenario's row, records it in $RELIABILITY_TABLE and fails on any loss or on an
// event the emulator got that was never sent.
func reportLoss(t *testing.T, scenario string, r lossTally, notes string) {
	t.Helper()
	recordReliability(t, scenario, r.sent, r.received, r.lost, r.dup, notes)
	t.Logf("%s | %d | %d | %d | %d | %s", scenario, r.sent, r.received, r.lost, r.dup, notes)
	if r.lost != 0 {
		t.Errorf("%s: %d of %d events lost", scenario, r.lost, r.sent)
	}
	if r.unexpected != 0 {
		t.Errorf("%s: %d events received that were never sent", scenario, r.unexpected)
	}
}

// TestSplunkHECOutage (issue 8 scenario 1): HEC is down when the collector starts and while events
// are sent; the persistent queue holds them (its size metric rises to all of them); HEC comes up and
// everything arrives, once.
func TestSplunkHECOutage(t *testing.T) {
	const n = 2000
	em := newHECEmulator(t, hectest.Config{Token: hecRightToken})
	em.Stop()
	col := startHECCollector(t, em, hecRightToken, "", nil)
	ids := sendUniqueFailedLogins(t, col, "hec-outage", 0, n)
	queued := metricReaches(t, col, n, 20*time.Second, metricQueueSize, hecExporterLabel)
	pollUntil(t, 10*time.Second, "a failed delivery attempt in the log", func() bool {
		return strings.Contains(col.Output(), "Exporting failed. Will retry")
	})
	if err := em.Start(); err != nil {
		t.Fatal(err)
	}
	r := waitHEC(t, em, ids, 45*time.Second)
	if v, err := col.WaitMetric(0, 10*time.Second, metricQueueSize, hecExporterLabel); err != nil || v != 0 {
		t.Errorf("queue size after delivery = %v (%v), want 0", v, err)
	}
	if r.dup != 0 {
		t.Errorf("%d duplicates, want 0: nothing reached HEC during the outage", r.dup)
	}
	reportLoss(t, "HEC down at start, then up", r, fmt.Sprintf("queue held %.0f records during the outage", queued))
}

// TestSplunkHECRestartedMidStream (issue 8 scenario 2): events flow in rounds; HEC goes down in the
// middle (listener and connections closed) and comes back while rounds keep arriving. HTTP answers
// every request, so unlike plain TCP there is no window: what HEC did not answer 200 is resent.
func TestSplunkHECRestartedMidStream(t *testing.T) {
	const rounds, per = 30, 100
	em := newHECEmulator(t, hectest.Config{Token: hecRightToken})
	col := startHECCollector(t, em, hecRightToken, "", nil)
	var ids []string
	for i := 0; i < rounds; i++ {
		switch i {
		case 10:
			em.Stop()
		case 20:
			if err := em.Start(); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, sendUniqueFailedLogins(t, col, "hec-midstream", i*per, per)...)
		time.Sleep(150 * time.Millisecond)
	}
	r := waitHEC(t, em, ids, 45*time.Second)
	reportLoss(t, "HEC restarted mid-stream", r, "HEC stopped after round 10 of 30 (100 events each, 150 ms apart), back at round 20")
}

// retryIntervalsFor returns the intervals exporterhelper's retry logged for errors containing match.
func retryIntervalsFor(t *testing.T, output, match string) []time.Duration {
	t.Helper()
	re := regexp.MustCompile(`"interval": "([^"]+)"`)
	var out []time.Duration
	for _, line := range strings.Split(output, "\n") {
		if !strings.Contains(line, "Will retry the request after interval") || !strings.Contains(line, match) {
			continue
		}
		m := re.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("retry log line without interval: %s", line)
		}
		d, err := time.ParseDuration(m[1])
		if err != nil {
			t.Fatalf("retry interval %q: %v", m[1], err)
		}
		out = append(out, d)
	}
	return out
}

// TestSplunkHEC503Storm (issue 8 scenario 5): HEC answers every event request 503 (server busy)
// with Retry-After: 3 for a while. Nothing is lost, nothing duplicated (a 503 accepted nothing),
// and every retry waited at least the Retry-After the server asked for.
func TestSplunkHEC503Storm(t *testing.T) {
	const n, storm = 2000, 4
	retryAfter := 3 * time.Second
	em := newHECEmulator(t, hectest.Config{Token: hecRightToken})
	em.FailAll(&hectest.Fault{Status: http.StatusServiceUnavailable, Code: hectest.CodeServerBusy, RetryAfter: retryAfter})
	col := startHECCollector(t, em, hecRightToken, "", nil)
	ids := sendUniqueFailedLogins(t, col, "hec-503", 0, n)
	pollUntil(t, 30*time.Second, fmt.Sprintf("%d answers 503", storm), func() bool {
		got, _ := hecAnswered(em, http.StatusServiceUnavailable)
		return got >= storm
	})
	em.FailAll(nil)
	r := waitHEC(t, em, ids, 45*time.Second)
	busy, _ := hecAnswered(em, http.StatusServiceUnavailable)
	intervals := retryIntervalsFor(t, col.Output(), "HTTP 503")
	if len(intervals) == 0 {
		t.Errorf("no retry after a 503 in the collector log")
	}
	for _, d := range intervals {
		if d < retryAfter {
			t.Errorf("retried after %s, before the server's Retry-After %s", d, retryAfter)
		}
	}
	if r.dup != 0 {
		t.Errorf("%d duplicates, want 0: a 503 accepts nothing", r.dup)
	}
	reportLoss(t, "HEC 503 storm with Retry-After", r, fmt.Sprintf("%d answers 503 with Retry-After: 3; %d retries, each after >= 3 s", busy, len(intervals)))
}

// TestSplunkHEC413Split (issue 8 scenario 5): HEC's max_content_length is 16 KiB while the exporter
// cuts bodies at its default 1 MiB: every batch gets 413 and is halved until the halves fit.
func TestSplunkHEC413Split(t *testing.T) {
	const n, limit = 2000, 16 << 10
	em := newHECEmulator(t, hectest.Config{Token: hecRightToken, MaxContentLength: limit})
	col := startHECCollector(t, em, hecRightToken, "", nil)
	ids := sendUniqueFailedLogins(t, col, "hec-413", 0, n)
	r := waitHEC(t, em, ids, 45*time.Second)
	tooLarge, _ := hecAnswered(em, http.StatusRequestEntityTooLarge)
	accepted, _ := hecAnswered(em, http.StatusOK)
	if tooLarge == 0 {
		t.Errorf("HEC never answered 413: the scenario did not happen")
	}
	for _, req := range em.Requests() {
		if req.Status == http.StatusOK && req.Path == hectest.PathEvent && req.DecodedBytes > limit {
			t.Errorf("request %d of %d bytes accepted above the limit", req.Seq, req.DecodedBytes)
		}
	}
	splits := metricReaches(t, col, 1, 5*time.Second, metricHECRequests, `outcome="split"`)
	if r.dup != 0 {
		t.Errorf("%d duplicates, want 0: a 413 accepts nothing", r.dup)
	}
	reportLoss(t, "HEC 413 (max_content_length 16 KiB)", r, fmt.Sprintf("%d answers 413, batches split (%.0f splits) into %d accepted requests", tooLarge, splits, accepted))
}

// TestSplunkHECAckLoss (issue 8 scenario 5): indexer acknowledgement on; the ack of the first
// accepted request never turns true. The exporter resends that batch after ack.timeout: nothing is
// lost. When HEC had indexed it (only the ack was lost) the resend makes duplicates, at most the
// events of the unacknowledged request and at most one extra copy each; when indexing had failed,
// none.
func TestSplunkHECAckLoss(t *testing.T) {
	for _, tc := range []struct {
		name    string
		indexed bool
	}{{"indexed", true}, {"not_indexed", false}} {
		t.Run(tc.name, func(t *testing.T) {
			const n, lose = 3000, 1
			em := newHECEmulator(t, hectest.Config{Token: hecRightToken, AckEnabled: true})
			em.LoseAcks(lose, !tc.indexed)
			col := startHECCollector(t, em, hecRightToken, "", map[string]string{
				"OTELCOL_SIEM_HEC_ACK":               "true",
				"OTELCOL_SIEM_HEC_ACK_POLL_INTERVAL": "250ms",
				"OTELCOL_SIEM_HEC_ACK_TIMEOUT":       "3s",
			})
			ids := sendUniqueFailedLogins(t, col, "hec-ack-"+tc.name, 0, n)
			r := waitHEC(t, em, ids, 40*time.Second)
			// Every event first arrives with the first requests; the resends of the unacknowledged
			// ones come after ack.timeout. Count once everything is acknowledged.
			if v, err := col.WaitMetric(n, 20*time.Second, metricHECAcked); err != nil || v != n {
				t.Errorf("events acknowledged = %v (%v), want %d", v, err, n)
			}
			r = countLoss(ids, hecIDs(t, em))
			timeouts := metricReaches(t, col, lose, 5*time.Second, metricHECAckTimeouts)
			// The unacknowledged requests are the first `lose` accepted ones (LoseAcks): on the
			// exporter's one channel, those that got ackIds 0..lose-1.
			var unackedEvents int
			for _, req := range em.Requests() {
				if req.Path == hectest.PathEvent && req.Status == http.StatusOK && req.AckID >= 0 && req.AckID < lose {
					unackedEvents += req.Events
				}
			}
			if tc.indexed {
				if r.dup > unackedEvents || r.maxCopies > 2 {
					t.Errorf("%d duplicates (max %d copies of one event), want at most %d (the events of the %d unacknowledged requests), one extra copy each",
						r.dup, r.maxCopies, unackedEvents, lose)
				}
				if r.dup == 0 {
					t.Errorf("no duplicates although %d indexed requests were never acknowledged and must have been resent", lose)
				}
			} else if r.dup != 0 {
				t.Errorf("%d duplicates, want 0: the unacknowledged requests were not indexed", r.dup)
			}
			scenario, bound := "HEC ack loss (indexed, ack lost)", unackedEvents
			if !tc.indexed {
				scenario, bound = "HEC ack loss (not indexed, no ack)", 0
			}
			reportLoss(t, scenario, r, fmt.Sprintf("ack on; the ack of %d request (%d events) never turned true; ack.timeout 3 s; %.0f ack timeout(s), batch resent; duplicates bound: %d",
				lose, unackedEvents, timeouts, bound))
		})
	}
}

// TestSplunkHECWrongTokenLaterFixed (issue 8 scenario 5): HEC refuses the collector's token. The
// data stays queued (queue size holds every event, the auth-failure metric rises, an error is
// logged, the token itself is not), then the token is fixed and everything arrives. Fixed two ways:
// on the collector (config corrected, collector restarted on the same queue) and on HEC (a disabled
// token re-enabled, no restart).
func TestSplunkHECWrongTokenLaterFixed(t *testing.T) {
	const n = 1000
	refused := func(t *testing.T, col *testcollector.Collector, em *hectest.Emulator) float64 {
		t.Helper()
		fails := metricReaches(t, col, 1, 20*time.Second, metricHECAuthFail)
		metricReaches(t, col, n, 10*time.Second, metricQueueSize, hecExporterLabel)
		pollUntil(t, 5*time.Second, "the token error in the log", func() bool {
			return strings.Contains(col.Output(), "HEC refused the token")
		})
		if got := em.EventCount(); got != 0 {
			t.Fatalf("HEC accepted %d events with a refused token", got)
		}
		return fails
	}
	noTokenInLog := func(t *testing.T, output string) {
		for _, tok := range []string{hecRightToken, hecWrongToken} {
			if strings.Contains(output, tok) {
				t.Errorf("the collector logged a HEC token")
			}
		}
	}

	t.Run("fixed_in_config", func(t *testing.T) {
		em := newHECEmulator(t, hectest.Config{Token: hecRightToken})
		col := startHECCollector(t, em, hecWrongToken, "", nil)
		ids := sendUniqueFailedLogins(t, col, "hec-token-config", 0, n)
		fails := refused(t, col, em)
		col.Stop(15 * time.Second)
		noTokenInLog(t, col.Output())
		col2 := startHECCollector(t, em, hecRightToken, col.StorageDir, nil)
		r := waitHEC(t, em, ids, 40*time.Second)
		noTokenInLog(t, col2.Output())
		reportLoss(t, "HEC wrong token, fixed in config + restart", r,
			fmt.Sprintf("403 code 4: %.0f auth failures counted, all %d kept queued, error logged (token not); collector restarted with the right token on the same queue", fails, n))
	})

	t.Run("fixed_on_server", func(t *testing.T) {
		em := newHECEmulator(t, hectest.Config{Token: hecRightToken})
		em.SetTokenDisabled(true)
		col := startHECCollector(t, em, hecRightToken, "", nil)
		ids := sendUniqueFailedLogins(t, col, "hec-token-server", 0, n)
		fails := refused(t, col, em)
		em.SetTokenDisabled(false)
		r := waitHEC(t, em, ids, 40*time.Second)
		noTokenInLog(t, col.Output())
		reportLoss(t, "HEC token disabled, re-enabled on the server", r,
			fmt.Sprintf("403 code 1: %.0f auth failures counted, all %d kept queued; delivered after re-enabling, no restart", fails, n))
	})
}

// TestSplunkHECKilledWhileAwaitingAcks (issue 8 scenario 3 for HEC): indexer acknowledgement on;
// HEC takes 10 000 events but neither indexes nor acknowledges them (an indexer that fails before
// indexing). The collector is stopped while its consumers wait for the acks (SIGKILL, or a graceful
// SIGTERM, which must return without waiting for ack.timeout), then restarted on the same storage
// with HEC healthy: nothing was removed from the queue unacknowledged, so every event arrives.
func TestSplunkHECKilledWhileAwaitingAcks(t *testing.T) {
	for _, stop := range []string{"sigkill", "sigterm"} {
		t.Run(stop, func(t *testing.T) {
			const n = 10000
			em := newHECEmulator(t, hectest.Config{Token: hecRightToken, AckEnabled: true})
			em.LoseAcks(1<<30, true)
			env := map[string]string{
				"OTELCOL_SIEM_HEC_ACK":               "true",
				"OTELCOL_SIEM_HEC_ACK_POLL_INTERVAL": "250ms",
				// Longer than this test: no batch is resent by timeout before the stop.
				"OTELCOL_SIEM_HEC_ACK_TIMEOUT": "5m",
			}
			col := startHECCollector(t, em, hecRightToken, "", env)
			ids := sendUniqueFailedLogins(t, col, "hec-kill-"+stop, 0, n)
			queued := metricReaches(t, col, n, 20*time.Second, metricQueueSize, hecExporterLabel)
			// Wait (up to 10 s) until HEC has taken as much as the queue consumers can have in flight:
			// all n when the batches fit in the 10 consumers, otherwise whatever they took by then.
			deadline := time.Now().Add(10 * time.Second)
			var inFlight int
			for {
				_, inFlight = hecAnswered(em, http.StatusOK)
				if inFlight >= n || time.Now().After(deadline) {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if inFlight == 0 {
				t.Fatalf("HEC accepted nothing before the stop: the collector was not waiting for acks")
			}
			stopStart := time.Now()
			if stop == "sigkill" {
				col.Kill()
			} else {
				col.Stop(15 * time.Second)
			}
			stopTook := time.Since(stopStart)
			if em.EventCount() != 0 {
				t.Fatalf("the emulator indexed %d events although it was told not to", em.EventCount())
			}

			em.LoseAcks(0, false)
			col2 := startHECCollector(t, em, hecRightToken, col.StorageDir, env)
			r := waitHEC(t, em, ids, 40*time.Second)
			if v, err := col2.WaitMetric(0, 5*time.Second, metricQueueSize, hecExporterLabel); err != nil || v != 0 {
				t.Errorf("queue size after delivery = %v (%v), want 0", v, err)
			}
			reportLoss(t, fmt.Sprintf("HEC collector %s while awaiting acks", strings.ToUpper(stop)), r,
				fmt.Sprintf("ack on; HEC took %d events unindexed and unacknowledged, queue held %.0f; stop took %s; restarted on the same storage",
					inFlight, queued, stopTook.Round(10*time.Millisecond)))
		})
	}
}

// TestSplunkHECKilledWhileDown (issue 8 scenario 3 for HEC): HEC is down; the collector takes 10 000
// events into its persistent queue and is killed with SIGKILL; restarted on the same storage with
// HEC up, it delivers every event.
func TestSplunkHECKilledWhileDown(t *testing.T) {
	const n = 10000
	em := newHECEmulator(t, hectest.Config{Token: hecRightToken})
	em.Stop()
	col := startHECCollector(t, em, hecRightToken, "", nil)
	ids := sendUniqueFailedLogins(t, col, "hec-down-kill", 0, n)
	queued := metricReaches(t, col, n, 20*time.Second, metricQueueSize, hecExporterLabel)
	col.Kill()
	if err := em.Start(); err != nil {
		t.Fatal(err)
	}
	col2 := startHECCollector(t, em, hecRightToken, col.StorageDir, nil)
	r := waitHEC(t, em, ids, 45*time.Second)
	if v, err := col2.WaitMetric(0, 10*time.Second, metricQueueSize, hecExporterLabel); err != nil || v != 0 {
		t.Errorf("queue size after delivery = %v (%v), want 0", v, err)
	}
	reportLoss(t, "HEC down, collector SIGKILL with 10 000 queued, restart", r,
		fmt.Sprintf("queue held %.0f records at the kill; restarted on the same storage with HEC up", queued))
}
