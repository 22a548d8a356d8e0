package secformat

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/benchload"
)

// The typical event is the seed's failed login (schema doc example) with the connector's resource.
func BenchmarkCEF(b *testing.B) {
	f := mustCEF(b, DefaultCEFConfig())
	res, lr := seedEvents()[1].build(1)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0], res, lr)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkJSON(b *testing.B) {
	f := NewJSON()
	res, lr := seedEvents()[1].build(1)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0], res, lr)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkSyslog5424CEF(b *testing.B) {
	f := mustCEF(b, DefaultCEFConfig())
	s := mustSyslog(b, DefaultSyslogConfig())
	res, lr := seedEvents()[1].build(1)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		// What cef_syslog does: the CEF line written in place after the header.
		buf, _ = s.AppendRecord(buf[:0], res, lr, f)
	}
	b.SetBytes(int64(len(buf)))
}

// benchLoadRecords is one request of the end-to-end benchmark's load (internal/benchload: 500
// failed logins, one resource), decoded from OTLP protobuf as a receiver hands it on, so that the
// strings are the decoder's. The benchmarks below format its records in turn, one per op.
func benchLoadRecords(b *testing.B) (pcommon.Resource, plog.LogRecordSlice) {
	b.Helper()
	reqs, err := benchload.Received(benchload.Batch, benchload.Batch, "fmt", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	rl := reqs[0].ResourceLogs().At(0)
	return rl.Resource(), rl.ScopeLogs().At(0).LogRecords()
}

// formatInTurn formats lrs (of resource res) one record per op, in turn: with the syslog header of s
// unless s is nil.
func formatInTurn(b *testing.B, s *Syslog, res pcommon.Resource, lrs plog.LogRecordSlice) {
	f := mustCEF(b, DefaultCEFConfig())
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if s != nil {
			buf, _ = s.AppendRecord(buf[:0], res, lrs.At(i), f)
		} else {
			buf = f.Append(buf[:0], res, lrs.At(i))
		}
		if i++; i == lrs.Len() {
			i = 0
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkCEFBenchLoad(b *testing.B) {
	res, lrs := benchLoadRecords(b)
	formatInTurn(b, nil, res, lrs)
}

func BenchmarkSyslogRecordBenchLoad(b *testing.B) {
	res, lrs := benchLoadRecords(b)
	formatInTurn(b, mustSyslog(b, DefaultSyslogConfig()), res, lrs)
}
