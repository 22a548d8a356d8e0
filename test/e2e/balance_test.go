//go:build e2e

package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/internal/testpeers"
)

// countAcross counts, over the output of several rsyslog instances, how often each of ids arrived
// at each: per peer, the ids it got; in all, received (at least once), lost and duplicates.
func countAcross(t *testing.T, ids []string, peers ...*testpeers.Rsyslog) (perPeer []int, c zlCounts) {
	t.Helper()
	seen := make(map[string]int, len(ids))
	for _, id := range ids {
		seen[id] = 0
	}
	perPeer = make([]int, len(peers))
	for p, rs := range peers {
		f, err := os.Open(rs.OutputFile())
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if m := externalIDRe.FindStringSubmatch(sc.Text()); m != nil {
				if n, ok := seen[m[1]]; ok {
					seen[m[1]] = n + 1
					perPeer[p]++
				}
			}
		}
		f.Close()
	}
	c.Sent = len(ids)
	for _, id := range ids {
		switch n := seen[id]; {
		case n == 0:
			c.Lost++
			if len(c.Missing) < 5 {
				c.Missing = append(c.Missing, id)
			}
		default:
			c.Received++
			c.Dup += n - 1
		}
	}
	return perPeer, c
}

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

// TestFailoverBetweenTwoRsyslogs (issue 17): cef_syslog with two real rsyslog receivers over TLS in
// failover. Everything goes to A; A is stopped mid-stream and the flow moves to B with nothing
// lost; A comes back and, after the hold-down, the flow returns to it; both down, the events stay
// queued and reach B when it comes back.
func TestFailoverBetweenTwoRsyslogs(t *testing.T) {
	const holdDown, round = 3 * time.Second, 50
	certs := testpeers.NewCerts(t)
	a, b := testpeers.StartRsyslog(t, certs), testpeers.StartRsyslog(t, certs)
	configs := []string{testcollector.RepoRoot() + "/otelcol-config.yaml",
		fmt.Sprintf("yaml:exporters::cef_syslog/siem::endpoints: [%s, %s]", a.TLSAddr, b.TLSAddr),
		fmt.Sprintf("yaml:exporters::cef_syslog/siem::balance: {mode: failover, hold_down: %s}", holdDown),
		"yaml:exporters::cef_syslog/siem::reconnect: {initial_interval: 200ms, max_interval: 1s}",
		"yaml:exporters::cef_syslog/siem::retry_on_failure: {enabled: true, initial_interval: 200ms, max_interval: 1s, max_elapsed_time: 0}",
	}
	col := testcollector.Start(t, testcollector.Options{Configs: configs, Env: map[string]string{
		"OTELCOL_SIEM_EXPORTERS":        "[cef_syslog/siem]",
		"OTELCOL_SIEM_SYSLOG_TRANSPORT": "tls",
		"OTELCOL_SIEM_SYSLOG_ENDPOINT":  "",
		"OTELCOL_SIEM_SYSLOG_CA_FILE":   certs.CAFile,
	}})
	sendRounds := func(prefix string, rounds int) []string {
		var ids []string
		for r := range rounds {
			ids = append(ids, sendEvents(t, col, fmt.Sprintf("%s-r%d", prefix, r), round)...)
			time.Sleep(300 * time.Millisecond)
		}
		return ids
	}

	// 1. Both up: A takes everything.
	ids1 := sendRounds("fo1", 4)
	per, c := waitAcross(t, ids1, 30*time.Second, a, b)
	if c.Lost != 0 || per[1] != 0 {
		t.Fatalf("both up: %s, A %d, B %d; want all at A", c, per[0], per[1])
	}

	// 2. A stopped mid-stream: the flow moves to B, nothing lost.
	done := make(chan []string)
	go func() { done <- sendRounds("fo2", 8) }()
	time.Sleep(1200 * time.Millisecond)
	a.Stop(t)
	stoppedAt := time.Now()
	ids2 := <-done
	per, c = waitAcross(t, ids2, 60*time.Second, a, b)
	zlRow(t, "9. cef_syslog failover between two rsyslog (TLS): A stopped mid-stream", c,
		fmt.Sprintf("at A %d, at B %d; hold_down %s", per[0], per[1], holdDown))
	if c.Lost != 0 || per[1] == 0 {
		t.Fatalf("A stopped: %s, A %d, B %d; lost e.g. %v", c, per[0], per[1], c.Missing)
	}

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
	col.Stop(30 * time.Second)
}
