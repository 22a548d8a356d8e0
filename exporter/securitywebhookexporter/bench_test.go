package securitywebhookexporter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter/internal/metadata"
)

// BenchmarkPush measures the send path to a loopback server that only counts the body bytes:
// events/s and bytes on the wire per event, with and without gzip.
func BenchmarkPush(b *testing.B) {
	for _, bc := range []struct{ name, format, compression string }{
		{"json_array/gzip", FormatJSONArray, "gzip"},
		{"json_array/none", FormatJSONArray, ""},
		{"ndjson/none", FormatNDJSON, ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var wire atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := io.Copy(io.Discard, r.Body)
				wire.Add(n)
			}))
			defer srv.Close()
			cfg := createDefaultConfig().(*Config)
			cfg.ClientConfig.Endpoint = srv.URL
			cfg.ClientConfig.Headers.Set("Authorization", configopaque.String(bearer))
			cfg.ClientConfig.Compression = "none"
			if bc.compression != "" {
				cfg.ClientConfig.Compression = "gzip"
			}
			cfg.Format = bc.format
			e, err := newExporter(cfg, exportertest.NewNopSettings(metadata.Type))
			require.NoError(b, err)
			require.NoError(b, e.start(context.Background(), componenttest.NewNopHost()))
			const perPush = 1000
			ld, _ := testLogs("bench", perPush)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := e.pushLogs(context.Background(), ld); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			events := float64(perPush * b.N)
			b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(wire.Load())/events, "wire-bytes/event")
		})
	}
}
