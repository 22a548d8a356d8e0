package securityclassifyprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/unified-ot/otelcol-siem/internal/benchload"
	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
)

// The end-to-end benchmark's load (cmd/siem-bench) through the processor as the site runs it.

// e2eBatch is siem-bench's default -batch: records per OTLP request.
const e2eBatch = benchload.Batch

// BenchmarkE2ELoad runs siem-bench's load through the processor built by the factory from the
// site's otelcol-config.yaml: every record is a failed login the producer already classified.
// Each request is decoded from its OTLP protobuf before the call (outside the timer), so the
// records have the layout (attribute slice capacities) the OTLP receiver gives them.
func BenchmarkE2ELoad(b *testing.B) {
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	site := filepath.Join("..", "..", "otelcol-config.yaml")
	if err := benchload.UnmarshalSite(site, "processors::"+metadata.Type.String(), cfg); err != nil {
		b.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	passed := 0
	next := benchload.CountingConsumer(&passed)
	p, err := f.CreateLogs(b.Context(), processortest.NewNopSettings(metadata.Type), cfg, next)
	if err != nil {
		b.Fatal(err)
	}
	var wire [][]byte
	for _, ld := range benchload.FailedLogins(10*e2eBatch, e2eBatch, "e2e", time.Now()) {
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
		a0 := benchload.Mallocs()
		b.StartTimer()
		err = p.ConsumeLogs(b.Context(), ld)
		b.StopTimer()
		allocs += benchload.Mallocs() - a0
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
