package cefsyslogexporter

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plaintextPeer is a TCP server that does not speak TLS: it reads what a client sends and either
// never answers (a plain syslog receiver) or closes the connection after the first read.
func plaintextPeer(t *testing.T, closeAfterRead bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 4096)
				if _, err := c.Read(buf); err != nil || closeAfterRead {
					_ = c.Close()
					return
				}
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// TestTLSPlaintextPeerRefused: transport tls pointed at a receiver that does not speak TLS fails
// the push with an error that says the handshake is what failed and why, instead of a bare
// "context deadline exceeded" or "EOF".
func TestTLSPlaintextPeerRefused(t *testing.T) {
	pki := newTestPKI(t)
	for _, tc := range []struct {
		name           string
		closeAfterRead bool
		want           string
	}{
		{"never answers", false, "no TLS answer within dial_timeout (300ms): is the receiver speaking TLS on this port?"},
		{"closes the connection", true, "the receiver closed the connection during the handshake"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := plaintextPeer(t, tc.closeAfterRead)
			env := newTestEnv(t)
			cfg := testConfig(TransportTLS, addr)
			cfg.TLS.CAFile = pki.caFile
			cfg.DialTimeout = 300 * time.Millisecond
			e := newStartedExporter(t, env, cfg)
			err := e.pushLogs(context.Background(), makeLogs(0, 3, 0))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "tls handshake with "+addr)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
