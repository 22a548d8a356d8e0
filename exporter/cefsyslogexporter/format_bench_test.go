package cefsyslogexporter

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/benchload"
)

// BenchmarkFormatLogs is the exporter's converter on one request of the benchmark load (500
// failed logins, decoded from protobuf as the receiver hands them on): RFC 5424 + CEF for every
// record, into one frame batch.
func BenchmarkFormatLogs(b *testing.B) {
	env := newTestEnv(b)
	e := newStartedExporter(b, env, testConfig(TransportTCP, "127.0.0.1:1"))
	buf, err := (&plog.ProtoMarshaler{}).MarshalLogs(benchload.FailedLogins(benchload.Batch, benchload.Batch, "fmt", time.Now())[0])
	if err != nil {
		b.Fatal(err)
	}
	ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(buf)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.formatLogs(context.Background(), ld); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchload.Batch), "ns/event")
}
