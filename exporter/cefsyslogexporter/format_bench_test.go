package cefsyslogexporter

import (
	"context"
	"testing"
	"time"

	"github.com/unified-ot/otelcol-siem/internal/benchload"
)

// BenchmarkFormatLogs is the exporter's converter on one request of the benchmark load (500
// failed logins, decoded from protobuf as the receiver hands them on): RFC 5424 + CEF for every
// record, into one frame batch.
func BenchmarkFormatLogs(b *testing.B) {
	env := newTestEnv(b)
	e := newStartedExporter(b, env, testConfig(TransportTCP, "127.0.0.1:1"))
	reqs, err := benchload.Received(benchload.Batch, benchload.Batch, "fmt", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	ld := reqs[0]
	b.ReportAllocs()
	for b.Loop() {
		e.converter.Convert(context.Background(), ld)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchload.Batch), "ns/event")
}
