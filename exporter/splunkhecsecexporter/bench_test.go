package splunkhecsecexporter

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/hectest"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// benchLogs builds n events whose values vary the way a real stream's do (ids, times, users,
// addresses, messages), so that gzip's ratio is not flattered by identical records.
func benchLogs(n int) plog.Logs {
	ld, _ := testLogs("bench", n)
	rng := rand.New(rand.NewPCG(1, 2))
	users := []string{"alice@example.com", "bob", "svc-historian", "operator-7", "maintenance"}
	actions := []string{secevent.ActionLogin, secevent.ActionAccess, secevent.ActionModifyConfig, secevent.ActionConnect}
	outcomes := []secevent.Outcome{secevent.OutcomeFailure, secevent.OutcomeDenied, secevent.OutcomeSuccess}
	i := 0
	for r := 0; r < ld.ResourceLogs().Len(); r++ {
		lrs := ld.ResourceLogs().At(r).ScopeLogs().At(0).LogRecords()
		for l := 0; l < lrs.Len(); l++ {
			lr := lrs.At(l)
			i++
			lr.SetTimestamp(pcommon.NewTimestampFromTime(eventTime.Add(time.Duration(rng.IntN(3_600_000)) * time.Millisecond)))
			user := users[rng.IntN(len(users))]
			ip := fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256))
			a := lr.Attributes()
			a.PutStr(secevent.KeyEventID, fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()))
			a.PutStr(secevent.KeyUserName, user)
			a.PutStr(secevent.KeySourceAddress, ip)
			a.PutInt(secevent.KeySourcePort, int64(1024+rng.IntN(60000)))
			a.PutStr(secevent.KeyAction, actions[rng.IntN(len(actions))])
			a.PutStr(secevent.KeyOutcome, string(outcomes[rng.IntN(len(outcomes))]))
			lr.Body().SetStr(fmt.Sprintf("Failed login attempt for %s from %s (session %08x)", user, ip, rng.Uint32()))
		}
	}
	return ld
}

// BenchmarkPush measures the whole send path against the HEC protocol emulator on loopback:
// encoding, batching into 1 MiB bodies, (gzip), HTTP, the emulator's decoding and validation.
// It reports events/s and the bytes per event that crossed the wire.
func BenchmarkPush(b *testing.B) {
	for _, bc := range []struct {
		name, compression, format string
	}{
		{"json/gzip", "gzip", FormatJSON},
		{"json/none", "none", FormatJSON},
		{"cef/gzip", "gzip", FormatCEF},
		{"cef/none", "none", FormatCEF},
	} {
		b.Run(bc.name, func(b *testing.B) {
			emu, err := hectest.New(hectest.Config{Token: testToken, CountOnly: true})
			require.NoError(b, err)
			defer emu.Close()
			cfg := testConfig(emu)
			cfg.ClientConfig.Compression = "none"
			if bc.compression == "gzip" {
				cfg.ClientConfig.Compression = "gzip"
			}
			cfg.Format = bc.format
			e, err := newExporter(cfg, benchSettings())
			require.NoError(b, err)
			require.NoError(b, e.start(context.Background(), nopHost()))
			defer func() { _ = e.shutdown(context.Background()) }()
			const perPush = 1000
			ld := benchLogs(perPush)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := e.pushLogs(context.Background(), ld); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			events := float64(perPush * b.N)
			wire := 0
			for _, r := range emu.Requests() {
				wire += r.WireBytes
			}
			require.Equal(b, perPush*b.N, emu.EventCount())
			b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(wire)/events, "wire-bytes/event")
		})
	}
}

// BenchmarkEncode measures envelope encoding alone (no network).
func BenchmarkEncode(b *testing.B) {
	for _, format := range []string{FormatJSON, FormatCEF} {
		b.Run(format, func(b *testing.B) {
			cfg := createDefaultConfig().(*Config)
			cfg.ClientConfig.Endpoint = "http://127.0.0.1:1"
			cfg.Token = testToken
			cfg.Format = format
			e, err := newExporter(cfg, benchSettings())
			require.NoError(b, err)
			ld := benchLogs(1000)
			b.ReportAllocs()
			b.ResetTimer()
			bytes := 0
			for i := 0; i < b.N; i++ {
				bytes = e.converter.Convert(context.Background(), ld).BytesSize()
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(bytes)/1000, "bytes/event")
		})
	}
}
