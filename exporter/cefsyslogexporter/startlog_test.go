package cefsyslogexporter

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/unified-ot/otelcol-siem/internal/destlog"
)

// startLogLine starts an exporter for cfg with an observed logger and returns the fields of its one
// start-up line, after checking that no logged text holds any of secrets.
func startLogLine(t *testing.T, cfg *Config, secrets ...string) map[string]any {
	t.Helper()
	require.NoError(t, cfg.Validate())
	core, logs := observer.New(zapcore.DebugLevel)
	set := newTestEnv(t).set
	set.Logger = zap.New(core)
	e, err := newExporter(cfg, set)
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = e.shutdown(context.Background()) })

	lines := logs.FilterMessage(destlog.Message).All()
	require.Len(t, lines, 1, "one start-up line naming the destination")
	assert.Equal(t, zapcore.InfoLevel, lines[0].Level)
	for _, l := range logs.All() {
		text := l.Message + fmt.Sprint(l.ContextMap())
		for _, s := range secrets {
			assert.NotContains(t, text, s, "a secret in the log line %q", l.Message)
		}
	}
	return lines[0].ContextMap()
}

func TestStartLogTCP(t *testing.T) {
	cfg := testConfig(TransportTCP, "127.0.0.1:6514")
	got := startLogLine(t, cfg)
	assert.Equal(t, map[string]any{
		"transport": "tcp", "endpoint": "127.0.0.1:6514", "framing": "octet_counting", "format": "cef",
		"syslog_protocol": "rfc5424", "queue": "memory",
	}, got)
}

func TestStartLogFilePersistentQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "siem-events.log")
	cfg := testConfig(TransportFile, "")
	cfg.File.Path = path
	cfg.Format = FormatJSON
	cfg.File.SyslogHeader = false
	storage := component.MustNewID("queue_storage")
	cfg.QueueConfig.Get().StorageID = &storage
	got := startLogLine(t, cfg)
	assert.Equal(t, map[string]any{
		"transport": "file", "file": path, "syslog_header": false, "framing": "lf", "format": "json",
		"queue": "persistent", "storage": "queue_storage",
	}, got)
}

// Mutual TLS: the line says a client certificate is used, never which key file or what it holds.
func TestStartLogMutualTLSNoKey(t *testing.T) {
	pki := newTestPKI(t)
	cfg := testConfig(TransportTLS, "127.0.0.1:6514")
	cfg.TLS.CAFile = pki.caFile
	cfg.TLS.CertFile = pki.clientCert
	cfg.TLS.KeyFile = pki.clientKey
	key, err := os.ReadFile(pki.clientKey)
	require.NoError(t, err)
	got := startLogLine(t, cfg, string(key), pki.clientKey, "PRIVATE KEY")
	assert.Equal(t, "tls", got["transport"])
	assert.Equal(t, "127.0.0.1:6514", got["endpoint"])
	assert.Equal(t, true, got["client_certificate"])
	assert.Equal(t, "memory", got["queue"])
}
