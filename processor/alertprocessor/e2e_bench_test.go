package alertprocessor

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/unified-ot/otelcol-siem/internal/benchload"
	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// The end-to-end benchmark's load (cmd/siem-bench) through the processor as the site runs it.

const (
	// e2eBatch and e2eEvents are siem-bench's defaults -batch and -events: records per OTLP
	// request and per run.
	e2eBatch  = benchload.Batch
	e2eEvents = 200000
)

// e2eTemplate is one request of the benchmark load (benchload.FailedLogins) as security_classify
// passes it on, with the event.classification.source the classifier adds. Requests alternate
// between accounts 0..499 and 500..999 (500 records per request, 1000 accounts); timestamps and
// event ids are set per use.
func e2eTemplate(firstUser int) plog.Logs {
	ld := benchload.FailedLogins(firstUser+e2eBatch, e2eBatch, "template", time.Now())[firstUser/e2eBatch]
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for k := range lrs.Len() {
		lrs.At(k).Attributes().PutStr(secevent.KeyClassificationSource, string(secevent.ClassifiedByProducer))
	}
	return ld
}

// BenchmarkE2ELoad runs siem-bench's load through the processor built by the factory from the
// site's otelcol-config.yaml (storage removed: the per-record path never touches it, only the
// periodic checkpoint does). One op is one request of 500 records. Every record matches
// failed_logins; a pass of 200 000 records (one siem-bench run: event times 1 µs apart, 200 per
// account) fires each of the 1000 groups once at its fifth record, and the open incident absorbs
// the other 195. The next pass starts an hour later in event and processing time, so the groups
// expire and are created again, as in a new run.
func BenchmarkE2ELoad(b *testing.B) {
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	site := filepath.Join("..", "..", "otelcol-config.yaml")
	if err := benchload.UnmarshalSite(site, "processors::"+metadata.Type.String(), cfg); err != nil {
		b.Fatal(err)
	}
	cfg.Storage = nil
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	passed := 0
	next := benchload.CountingConsumer(&passed)
	pl, err := f.CreateLogs(b.Context(), processortest.NewNopSettings(metadata.Type), cfg, next)
	if err != nil {
		b.Fatal(err)
	}
	if err = pl.Start(b.Context(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	p := pl.(*alertProcessor)
	var now time.Time
	p.clock = func() time.Time { return now }

	// Decoded from OTLP protobuf, as the receiver hands them on: keys and values are the decoder's
	// strings, not the constants the builder used.
	var templates [2]plog.Logs
	for i := range templates {
		buf, err := (&plog.ProtoMarshaler{}).MarshalLogs(e2eTemplate(i * e2eBatch))
		if err != nil {
			b.Fatal(err)
		}
		if templates[i], err = (&plog.ProtoUnmarshaler{}).UnmarshalLogs(buf); err != nil {
			b.Fatal(err)
		}
	}
	ids := make([]string, e2eEvents)
	for i := range ids {
		ids[i] = fmt.Sprintf("e2e-%08d", i)
	}
	base := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var allocs uint64
	alerts := 0
	b.ReportAllocs()
	op := 0
	for b.Loop() {
		b.StopTimer()
		pass, req := op/(e2eEvents/e2eBatch), op%(e2eEvents/e2eBatch)
		op++
		ld := templates[req%2]
		start := base.Add(time.Duration(pass) * time.Hour)
		lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		for k := range e2eBatch {
			i := req*e2eBatch + k
			lr := lrs.At(k)
			ts := pcommon.NewTimestampFromTime(start.Add(time.Duration(i) * time.Microsecond))
			lr.SetTimestamp(ts)
			lr.SetObservedTimestamp(ts)
			v, _ := lr.Attributes().Get(secevent.KeyEventID)
			v.SetStr(ids[i])
		}
		// The collector processes a request just after it was built and sent.
		now = start.Add(time.Duration((req+1)*e2eBatch)*time.Microsecond + time.Millisecond)
		passed = 0
		a0 := benchload.Mallocs()
		b.StartTimer()
		err := p.ConsumeLogs(b.Context(), ld)
		b.StopTimer()
		allocs += benchload.Mallocs() - a0
		if err != nil {
			b.Fatal(err)
		}
		if passed < e2eBatch {
			b.Fatalf("%d records passed, want at least %d", passed, e2eBatch)
		}
		if rls := ld.ResourceLogs(); rls.Len() > 1 {
			// Drop the alerts appended to the reused request.
			alerts += passed - e2eBatch
			rls.RemoveIf(func(rl plog.ResourceLogs) bool {
				return rl.ScopeLogs().At(0).Scope().Name() == metadata.ScopeName
			})
		}
		b.StartTimer()
	}
	records := float64(b.N) * e2eBatch
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
	b.ReportMetric(float64(allocs)/records, "allocs/record")
	b.ReportMetric(float64(alerts)/records, "alerts/record")
	if err := pl.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
}
