package cefsyslogexporter

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// drainSink accepts connections and discards what they send, as fast as loopback allows, so the
// benchmark measures the exporter (format, frame, write), not a receiver's parser.
func drainSink(b *testing.B, tlsCfg *tls.Config) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, 256<<10) // large reads: fewer receiver syscalls per batch
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	b.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

func benchmarkExport(b *testing.B, cfg *Config, batch int) {
	env := newTestEnv(b)
	env.set.Logger = zap.NewNop()
	e := newStartedExporter(b, env, cfg)
	ld := makeLogs(0, batch, 0)
	ctx := context.Background()
	require.NoError(b, e.pushLogs(ctx, ld)) // connect (and handshake) outside the timing

	b.ReportAllocs()
	iterations := 0
	for b.Loop() {
		if err := e.pushLogs(ctx, ld); err != nil {
			b.Fatal(err)
		}
		iterations++
	}
	events := float64(iterations) * float64(batch)
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
}

// BenchmarkExportTCP: CEF over RFC 5424 over TCP with octet counting, batches of 100 events.
func BenchmarkExportTCP(b *testing.B) {
	addr := drainSink(b, nil)
	benchmarkExport(b, testConfig(TransportTCP, addr), 100)
}

// BenchmarkExportTLS: the same over TLS (1.3, ECDSA P-256 test certificate).
func BenchmarkExportTLS(b *testing.B) {
	pki := newTestPKI(b)
	addr := drainSink(b, pki.serverConfig(false))
	cfg := testConfig(TransportTLS, addr)
	cfg.TLS.CAFile = pki.caFile
	benchmarkExport(b, cfg, 100)
}
