package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/secevent"
	"github.com/unified-ot/otelcol-siem/secevent/seclog"
)

type memExporter struct {
	mu      sync.Mutex
	records []sdklog.Record
}

func (e *memExporter) Export(_ context.Context, rs []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range rs {
		e.records = append(e.records, r.Clone())
	}
	return nil
}
func (*memExporter) Shutdown(context.Context) error   { return nil }
func (*memExporter) ForceFlush(context.Context) error { return nil }

func memLogger(t *testing.T, opts ...seclog.Option) (*seclog.Logger, *memExporter) {
	exp := &memExporter{}
	p := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return seclog.New(p, opts...), exp
}

func attr(r sdklog.Record, key string) attribute.Value {
	var v attribute.Value
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if string(kv.Key) == key {
			v = kv.Value
			return false
		}
		return true
	})
	return v
}

// TestSeedScenario checks the story: the declared sequence is what the Logger emits, and it
// carries what the seed's alert rules need (5+ failed logins for one user from one address, 3
// permission denials, a circuit breaker opening, a configuration change).
func TestSeedScenario(t *testing.T) {
	l, exp := memLogger(t)
	var out bytes.Buffer
	ids := runScenario(context.Background(), l, &out)
	steps := seedScenario()
	rs := exp.records
	if len(rs) != len(steps) || len(ids) != len(steps) {
		t.Fatalf("%d steps, %d records, %d ids", len(steps), len(rs), len(ids))
	}
	wantNames := []string{
		"security.authentication.login", "security.authentication.login", "security.authentication.login",
		"security.authentication.login", "security.authentication.login", "security.authentication.login",
		"security.authentication.login",
		"security.authorization.access", "security.authorization.access", "security.authorization.access",
		"security.configuration.modify_config",
		"security.availability.circuit_breaker_open",
		"security.credential_access.credential_access",
		"security.operational.network_scan",
		"security.network.connect",
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(steps) {
		t.Fatalf("printed %d lines for %d events:\n%s", len(lines), len(steps), out.String())
	}
	failures := map[string]int{}
	outcomes := map[string]int{}
	for i, r := range rs {
		if r.EventName() != wantNames[i] || r.EventName() != steps[i].event {
			t.Errorf("event %d: EventName %q, declared %q, want %q", i+1, r.EventName(), steps[i].event, wantNames[i])
		}
		outcome := attr(r, secevent.KeyOutcome).AsString()
		if outcome != string(steps[i].outcome) {
			t.Errorf("event %d: outcome %q, declared %q", i+1, outcome, steps[i].outcome)
		}
		outcomes[r.EventName()+"/"+outcome]++
		id := attr(r, secevent.KeyEventID).AsString()
		if id != ids[i] || !strings.Contains(lines[i], "event.id="+id) || !strings.Contains(lines[i], r.EventName()) {
			t.Errorf("event %d: id %q, returned %q, printed %q", i+1, id, ids[i], lines[i])
		}
		if outcome == "failure" && r.EventName() == "security.authentication.login" {
			failures[attr(r, secevent.KeyUserName).AsString()+"@"+attr(r, secevent.KeySourceAddress).AsString()]++
		}
	}
	if failures[attacker+"@"+attackerAddr] < 5 || len(failures) != 1 {
		t.Errorf("failed logins %v: the alert needs 5+ for one user from one address", failures)
	}
	if outcomes["security.authentication.login/success"] != 1 || outcomes["security.authorization.access/denied"] != 3 ||
		outcomes["security.availability.circuit_breaker_open/degraded"] != 1 || outcomes["security.configuration.modify_config/success"] != 1 {
		t.Errorf("outcomes %v", outcomes)
	}
	changes := attr(rs[10], secevent.KeyConfigChanges).AsString()
	if !strings.Contains(changes, seclog.Redacted) || strings.Contains(changes, "demo-value") {
		t.Errorf("config change not redacted: %s", changes)
	}
}

func TestLoadIDsAndFile(t *testing.T) {
	for _, mix := range []string{"warn", "all"} {
		t.Run(mix, func(t *testing.T) {
			l, exp := memLogger(t, seclog.WithEventIDs(sequentialIDs("t-")))
			idsFile := filepath.Join(t.TempDir(), "ids")
			const n = 2000
			res, err := runLoad(context.Background(), l, loadConfig{count: n, idPrefix: "t-", idsFile: idsFile, mix: mix})
			if err != nil {
				t.Fatal(err)
			}
			if res.sent != n || res.rate() <= 0 {
				t.Errorf("result %+v", res)
			}
			raw, err := os.ReadFile(idsFile)
			if err != nil {
				t.Fatal(err)
			}
			fileIDs := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
			if len(exp.records) != n || len(fileIDs) != n {
				t.Fatalf("%d records, %d ids in the file, want %d", len(exp.records), len(fileIDs), n)
			}
			kinds := map[string]bool{}
			for i, r := range exp.records {
				want := "t-" + strconv.Itoa(i+1)
				if got := attr(r, secevent.KeyEventID).AsString(); got != want || fileIDs[i] != want {
					t.Fatalf("record %d: id %q, file %q, want %q", i, got, fileIDs[i], want)
				}
				if mix == "warn" && r.Severity() < 13 {
					t.Errorf("warn mix sent %s at severity %d", r.EventName(), r.Severity())
				}
				kinds[r.EventName()+"/"+attr(r, secevent.KeyOutcome).AsString()] = true
			}
			if want := map[string]int{"warn": 4, "all": 15}[mix]; len(kinds) != want {
				t.Errorf("%s mix covered %d event kinds, want %d: %v", mix, len(kinds), want, kinds)
			}
		})
	}
}

func TestLoadRate(t *testing.T) {
	l, exp := memLogger(t)
	// 60 events at 200/s take about 0.3 s; the figure is checked loosely, it is not a benchmark.
	res, err := runLoad(context.Background(), l, loadConfig{count: 60, rate: 200, mix: "warn"})
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.records) != 60 || res.elapsed.Seconds() < 0.25 {
		t.Errorf("sent %d in %v; pacing at 200/s should take about 0.3 s", len(exp.records), res.elapsed)
	}
}

// TestRunDeliversToOTLP runs the program against an in-test OTLP/HTTP sink: every event of the
// scenario, and of a load run, arrives with the resource the flags set, and the exit status is 0.
func TestRunDeliversToOTLP(t *testing.T) {
	sink := testcollector.NewOTLPSink(t)
	endpoint := strings.TrimPrefix(sink.URL, "http://")

	var out, errOut bytes.Buffer
	if code := run([]string{"-protocol", "http", "-endpoint", endpoint, "-site", "plant-z", "-host-name", "edge-9"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	ids := regexp.MustCompile(`event\.id=(\S+)`).FindAllStringSubmatch(out.String(), -1)
	if len(ids) != len(seedScenario()) {
		t.Fatalf("printed %d ids:\n%s", len(ids), out.String())
	}
	var want []string
	for _, m := range ids {
		want = append(want, m[1])
	}
	if got, dup := sink.Count(want); got != len(want) || dup != 0 {
		t.Errorf("sink received %d of %d (%d duplicates)", got, len(want), dup)
	}
	if !strings.Contains(out.String(), "delivered 15 of 15 events") {
		t.Errorf("summary missing:\n%s", out.String())
	}

	out.Reset()
	idsFile := filepath.Join(t.TempDir(), "ids")
	args := []string{"-protocol", "http", "-endpoint", endpoint, "-count", "3000", "-id-prefix", "run-", "-ids-file", idsFile, "-queue-size", "1024", "-batch-size", "256"}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("load exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	var loadIDs []string
	for i := 1; i <= 3000; i++ {
		loadIDs = append(loadIDs, loadID("run-", i))
	}
	if got, dup := sink.Count(loadIDs); got != 3000 || dup != 0 {
		t.Errorf("sink received %d of 3000 load events (%d duplicates)", got, dup)
	}
	if !regexp.MustCompile(`sent 3000 events \(ids run-1 \.\. run-3000\) in [0-9.]+s: [0-9]+ events/s`).MatchString(out.String()) ||
		!strings.Contains(out.String(), "delivered 3000 of 3000 events") {
		t.Errorf("load summary:\n%s", out.String())
	}
	r, ok := sink.Record("run-1")
	if !ok {
		t.Fatal("run-1 missing")
	}
	if r.EventName() != "security.authentication.login" {
		t.Errorf("run-1 EventName %q", r.EventName())
	}
}

// TestRunFailsWhenNotDelivered: nothing listens at the endpoint, so the events cannot be
// delivered and the exit status must say so.
func TestRunFailsWhenNotDelivered(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, proto := range []string{"grpc", "http"} {
		var out, errOut bytes.Buffer
		code := run([]string{"-protocol", proto, "-endpoint", addr, "-retry", "-1s", "-shutdown-timeout", "20s"}, &out, &errOut)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1\n%s\n%s", proto, code, out.String(), errOut.String())
		}
		if !strings.Contains(out.String(), "delivered 0 of 15 events") || !strings.Contains(errOut.String(), "not delivered") {
			t.Errorf("%s: output does not say what was lost:\n%s\n%s", proto, out.String(), errOut.String())
		}
	}
}

func TestRunBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-protocol", "udp"},
		{"-scenario", "nope"},
		{"-count", "-1"},
		{"-mix", "some"},
		{"-insecure", "-ca", "ca.pem"},
		{"extra"},
	} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
}
