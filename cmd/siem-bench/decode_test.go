package main

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// BenchmarkOTLPDecode measures what every distribution's OTLP receiver pays per event of the
// benchmark load before any pipeline runs: unmarshalling a 500-record request into pdata. It is
// the floor under the end-to-end CPU per event of both otelcol-siem and the contrib baseline.
func BenchmarkOTLPDecode(b *testing.B) {
	load, err := encodeRequests(buildRequests(500, 500, "decode"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(load[0])))
	b.ReportAllocs()
	for b.Loop() {
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalProto(load[0]); err != nil {
			b.Fatal(err)
		}
		if n := req.Logs().LogRecordCount(); n != 500 {
			b.Fatalf("decoded %d records, want 500", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/event")
}

// BenchmarkOTLPEncode is the load generator's cost per event had it not pre-encoded its requests.
func BenchmarkOTLPEncode(b *testing.B) {
	reqs := buildRequests(500, 500, "encode")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reqs[0].MarshalProto(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/event")
}
