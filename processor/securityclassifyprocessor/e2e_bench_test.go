package securityclassifyprocessor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.yaml.in/yaml/v3"

	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// The end-to-end benchmark's load (cmd/siem-bench) through the processor as the site runs it.

// e2eBatch is siem-bench's default -batch: records per OTLP request.
const e2eBatch = 500

// envDefault matches ${env:NAME:-default} in the site configuration.
var envDefault = regexp.MustCompile(`\$\{env:[A-Za-z0-9_]+:-([^}]*)\}`)

// siteConfig reads the component's section of the repository's otelcol-config.yaml, with every
// ${env:NAME:-default} at its default (the collector's resolution when the variable is unset), so
// the benchmark runs the rules and keywords the site ships rather than a copy that could drift.
func siteConfig(tb testing.TB, component string) *confmap.Conf {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "otelcol-config.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err = yaml.Unmarshal(envDefault.ReplaceAll(raw, []byte("$1")), &m); err != nil {
		tb.Fatal(err)
	}
	sub, err := confmap.NewFromStringMap(m).Sub("processors::" + component)
	if err != nil {
		tb.Fatal(err)
	}
	if len(sub.AllKeys()) == 0 {
		tb.Fatalf("otelcol-config.yaml has no processors::%s section", component)
	}
	return sub
}

// e2eLoad builds what cmd/siem-bench/load.go's buildRequests sends (kept in step by hand: that is
// package main): OTLP requests of e2eBatch failed logins as secevent emits them, 8 schema
// attributes, a ~110-byte body, 4 resource attributes, user names cycling over 1000 accounts.
func e2eLoad(n int, idPrefix string, now time.Time) []plog.Logs {
	var out []plog.Logs
	for start := 0; start < n; start += e2eBatch {
		logs := plog.NewLogs()
		rl := logs.ResourceLogs().AppendEmpty()
		ra := rl.Resource().Attributes()
		ra.PutStr(secevent.KeyServiceName, "unified-ot-connector")
		ra.PutStr(secevent.KeyServiceVersion, "1.4.2")
		ra.PutStr(secevent.KeyHostName, "edge-gw-01")
		ra.PutStr(secevent.KeySiteName, "plant-a")
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName("github.com/unified-ot/otelcol-siem/secevent/seclog")
		lrs := sl.LogRecords()
		end := min(start+e2eBatch, n)
		lrs.EnsureCapacity(end - start)
		for i := start; i < end; i++ {
			lr := lrs.AppendEmpty()
			ts := pcommon.NewTimestampFromTime(now.Add(time.Duration(i) * time.Microsecond))
			lr.SetTimestamp(ts)
			lr.SetObservedTimestamp(ts)
			lr.SetSeverityNumber(plog.SeverityNumberWarn)
			lr.SetSeverityText("WARN")
			lr.SetEventName(secevent.EventName(secevent.CategoryAuthentication, secevent.ActionLogin))
			user := fmt.Sprintf("operator%03d@plant-a.example", i%1000)
			lr.Body().SetStr("Failed login attempt for " + user + " from 192.168.17.42: invalid credentials (web console, OPC UA gateway)")
			a := lr.Attributes()
			a.PutStr(secevent.KeyCategory, string(secevent.CategoryAuthentication))
			a.PutStr(secevent.KeyAction, secevent.ActionLogin)
			a.PutStr(secevent.KeyOutcome, string(secevent.OutcomeFailure))
			a.PutStr(secevent.KeyReason, "invalid_credentials")
			a.PutStr(secevent.KeyUserName, user)
			a.PutStr(secevent.KeySourceAddress, "192.168.17.42")
			a.PutInt(secevent.KeySourcePort, 51544)
			a.PutStr(secevent.KeyEventID, fmt.Sprintf("%s-%08d", idPrefix, i))
		}
		out = append(out, logs)
	}
	return out
}

// mallocs is the count of heap allocations so far, as testing's allocs/op counts them. It stops
// the world: read it only while the benchmark timer is stopped.
func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// BenchmarkE2ELoad runs siem-bench's load through the processor built by the factory from the
// site's otelcol-config.yaml: every record is a failed login the producer already classified.
// Each request is decoded from its OTLP protobuf before the call (outside the timer), so the
// records have the layout (attribute slice capacities) the OTLP receiver gives them.
func BenchmarkE2ELoad(b *testing.B) {
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	if err := siteConfig(b, metadata.Type.String()).Unmarshal(cfg); err != nil {
		b.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	// The next consumer only counts: a sink that keeps the batches would allocate per call.
	passed := 0
	next, err := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		passed = ld.LogRecordCount()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	p, err := f.CreateLogs(b.Context(), processortest.NewNopSettings(metadata.Type), cfg, next)
	if err != nil {
		b.Fatal(err)
	}
	var wire [][]byte
	for _, ld := range e2eLoad(10*e2eBatch, "e2e", time.Now()) {
		buf, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
		if err != nil {
			b.Fatal(err)
		}
		wire = append(wire, buf)
	}
	var allocs uint64
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(wire[i%len(wire)])
		if err != nil {
			b.Fatal(err)
		}
		i++
		passed = 0
		a0 := mallocs()
		b.StartTimer()
		err = p.ConsumeLogs(b.Context(), ld)
		b.StopTimer()
		allocs += mallocs() - a0
		b.StartTimer()
		if err != nil {
			b.Fatal(err)
		}
		if passed != e2eBatch {
			b.Fatalf("%d of %d records passed", passed, e2eBatch)
		}
	}
	records := float64(b.N) * e2eBatch
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
	b.ReportMetric(float64(allocs)/records, "allocs/record")
}
