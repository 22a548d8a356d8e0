package securitywebhookexporter

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unified-ot/otelcol-siem/internal/integrity/integritytest"
)

// The server takes the first request but answers 503: the exporter resends the batch, and the
// resent events are the same bytes (stamped once, when queued), which the verifier counts as
// duplicates of valid records.
func TestIntegrityWebhookRetryResendsIdenticalBytes(t *testing.T) {
	srv := newWebhookServer(t)
	h := newHarness(t)
	cfg := testConfig(srv)
	cfg.Format = FormatNDJSON
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	cfg.Integrity.KeyFile = integritytest.KeyFile(t, t.TempDir())
	cfg.QueueConfig.Get().StorageID = &integritytest.StorageID
	require.NoError(t, cfg.Validate())
	srv.failNext(1, fault{status: http.StatusServiceUnavailable, keep: true})

	exp, err := NewFactory().CreateLogs(context.Background(), h.set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), integritytest.Host(t, t.TempDir())))
	ld, _ := testLogs("ev", 20)
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	const n = 21 // the start checkpoint and the events
	require.Eventually(t, func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return len(srv.events) >= 2*n
	}, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, exp.Shutdown(context.Background()))

	srv.mu.Lock()
	evs := append([]json.RawMessage(nil), srv.events...)
	srv.mu.Unlock()
	require.Len(t, evs, 2*n)
	var lines [][]byte
	for i, ev := range evs {
		if i < n {
			assert.Equal(t, string(ev), string(evs[i+n]), "resent event %d is the same bytes", i)
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal(ev, &m))
		assert.Contains(t, m, "otsec.integrity.stream")
		lines = append(lines, ev)
	}
	r := integritytest.Verify(t, lines)
	require.False(t, r.Failed())
	assert.Equal(t, n, r.Streams[0].Duplicates)
}

func TestIntegrityWebhookConfig(t *testing.T) {
	cfg := testConfig(newWebhookServer(t))
	cfg.Integrity.KeyFile = "/etc/otelcol-siem/integrity.key"
	cfg.Integrity.SequenceID = true
	err := cfg.Validate()
	require.ErrorContains(t, err, "sending_queue::storage is not")
	require.ErrorContains(t, err, "integrity.sequence_id: applies to cef_syslog")
}
